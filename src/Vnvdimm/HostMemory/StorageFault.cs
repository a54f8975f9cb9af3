namespace Vnvdimm.HostMemory;

/// <summary>
/// The storage behind a backend cannot serve an access: its file is shorter than the backend (it was
/// truncated), or the filesystem has no room for a page the access needs. The access fails with this,
/// instead of the SIGBUS the same access through the mapping would raise; the machine runs on.
/// </summary>
public sealed class StorageFault(string message) : UserError(message);
