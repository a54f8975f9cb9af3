namespace Vnvdimm.Monitor;

/// <summary>QEMU's QMP error classes; nearly everything is a GenericError.</summary>
public enum MonitorErrorClass { GenericError, CommandNotFound, DeviceNotFound }

/// <summary>
/// A monitor command failed. QMP answers <c>{"error": {"class": ..., "desc": ...}}</c>; HMP prints
/// <c>Error: desc</c>.
/// </summary>
public sealed class MonitorException(MonitorErrorClass errorClass, string description) : UserError(description)
{
    public MonitorErrorClass ErrorClass { get; } = errorClass;

    public static MonitorException Generic(string description) => new(MonitorErrorClass.GenericError, description);

    public static MonitorException NotFound(string description) => new(MonitorErrorClass.DeviceNotFound, description);
}
