namespace Vnvdimm.Vmm;

/// <summary>A request that the machine's current state forbids (a run state, a migration under way); QEMU's words.</summary>
public sealed class StateError(string message) : UserError(message);
