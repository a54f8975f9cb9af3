namespace Vnvdimm.Migration;

/// <summary>
/// A part of the machine whose state travels with it as one section of the device-state record
/// (QEMU: a device's VMStateDescription; cloud-hypervisor: Snapshottable). Memory travels apart
/// (<see cref="MigrationRegion"/>); these parts are small and saved once, in the stop-and-copy.
/// </summary>
public interface IMigratableState
{
    /// <summary>The section's name in the stream: unique in a machine, ASCII, at most 255 bytes.</summary>
    string MigrationSection { get; }

    /// <summary>The state as it is now (the machine is stopped, under its lock).</summary>
    byte[] SaveState();

    /// <summary>Refuses (InvalidDataException) state this part could not take; nothing changes yet.</summary>
    void CheckState(ReadOnlySpan<byte> state);

    /// <summary>Takes over checked state, once all the memory is in and durable.</summary>
    void LoadState(ReadOnlySpan<byte> state);
}
