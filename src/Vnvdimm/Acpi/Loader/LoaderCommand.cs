using System.Buffers.Binary;
using System.Text;

namespace Vnvdimm.Acpi.Loader;

public enum AllocationZone : byte
{
    High = 1,
    FSeg = 2,
}

/// <summary>
/// One 128-byte command of the <c>etc/table-loader</c> script (QEMU's BIOS linker/loader interface)
/// that the firmware executes to place and link the ACPI tables in guest memory.
/// </summary>
public abstract record LoaderCommand
{
    public const int Size = 128;
    public const int FileNameSize = 56;

    public abstract uint Kind { get; }

    public void WriteTo(Span<byte> destination)
    {
        destination[..Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Kind);
        WriteBody(destination[4..Size]);
    }

    protected abstract void WriteBody(Span<byte> body);

    protected static void WriteName(Span<byte> destination, string name)
    {
        if (Encoding.ASCII.GetByteCount(name) >= FileNameSize)
            throw new ArgumentException($"fw_cfg file name too long: {name}");
        Encoding.ASCII.GetBytes(name, destination);
    }
}

/// <summary>Allocate guest memory for a fw_cfg file and copy it there.</summary>
public sealed record AllocateCommand(string File, uint Alignment, AllocationZone Zone) : LoaderCommand
{
    public override uint Kind => 1;

    protected override void WriteBody(Span<byte> body)
    {
        WriteName(body, File);
        BinaryPrimitives.WriteUInt32LittleEndian(body[FileNameSize..], Alignment);
        body[FileNameSize + 4] = (byte)Zone;
    }
}

/// <summary>
/// Add the guest address of <see cref="SourceFile"/> to the little-endian integer at <see cref="Offset"/> in <see cref="DestinationFile"/>.
/// </summary>
public sealed record AddPointerCommand(string DestinationFile, string SourceFile, uint Offset, byte PointerSize) : LoaderCommand
{
    public override uint Kind => 2;

    protected override void WriteBody(Span<byte> body)
    {
        WriteName(body, DestinationFile);
        WriteName(body[FileNameSize..], SourceFile);
        BinaryPrimitives.WriteUInt32LittleEndian(body[(2 * FileNameSize)..], Offset);
        body[2 * FileNameSize + 4] = PointerSize;
    }
}

/// <summary>Set the byte at <see cref="Offset"/> so that [Start, Start+Length) of <see cref="File"/> sums to zero.</summary>
public sealed record AddChecksumCommand(string File, uint Offset, uint Start, uint Length) : LoaderCommand
{
    public override uint Kind => 3;

    protected override void WriteBody(Span<byte> body)
    {
        WriteName(body, File);
        BinaryPrimitives.WriteUInt32LittleEndian(body[FileNameSize..], Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(body[(FileNameSize + 4)..], Start);
        BinaryPrimitives.WriteUInt32LittleEndian(body[(FileNameSize + 8)..], Length);
    }
}
