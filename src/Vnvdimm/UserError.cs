namespace Vnvdimm;

/// <summary>
/// Something the user asked for cannot be done, and the message says why. Every interface answers
/// these (an exit status 1 with the message, a QMP error, an HMP "Error:", a qtest "ERR"); any other
/// exception reaching a thread's root is a defect, reported as an internal error and never a signal.
/// </summary>
public abstract class UserError(string message) : Exception(message);
