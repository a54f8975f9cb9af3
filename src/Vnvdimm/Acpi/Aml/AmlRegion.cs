using System.Collections.Immutable;

namespace Vnvdimm.Acpi.Aml;

public enum AmlRegionSpace : byte
{
    SystemMemory = 0,
    SystemIo = 1,
}

public enum AmlAccessType : byte
{
    Any = 0,
    Byte = 1,
    Word = 2,
    DWord = 3,
    QWord = 4,
    Buffer = 5,
}

public enum AmlLockRule : byte
{
    NoLock = 0,
    Lock = 1,
}

public enum AmlUpdateRule : byte
{
    Preserve = 0,
    WriteAsOnes = 1,
    WriteAsZeros = 2,
}

/// <summary>OperationRegion(NAME, space, offset, length); the offset may be any term, the length is a constant.</summary>
public sealed class AmlOperationRegion : IAml
{
    public AmlOperationRegion(string name, AmlRegionSpace space, IAml offset, uint length)
    {
        Name = new AmlPath(name);
        Space = space;
        Offset = offset ?? throw new ArgumentNullException(nameof(offset));
        Length = length;
        EncodedLength = checked(AmlOpcode.Length(AmlOpcode.OperationRegion) + Name.EncodedLength + sizeof(AmlRegionSpace)
            + offset.EncodedLength + AmlInteger.LengthOf(length));
    }

    public AmlPath Name { get; }
    public AmlRegionSpace Space { get; }
    public IAml Offset { get; }
    public uint Length { get; }

    public int EncodedLength { get; }

    public void WriteTo(IAmlSink sink)
    {
        AmlOpcode.Write(sink, AmlOpcode.OperationRegion);
        Name.WriteTo(sink);
        sink.Byte((byte)Space);
        Offset.WriteTo(sink);
        AmlInteger.Write(sink, Length);
    }
}

/// <summary>A named field unit of <see cref="Bits"/> bits inside a Field; its name is a single NameSeg.</summary>
public sealed record AmlFieldUnit
{
    public AmlFieldUnit(string name, int bits)
    {
        ArgumentNullException.ThrowIfNull(name);
        AmlPath.CheckSegment(name);
        AmlPackageLength.Size(bits); // refuses what a PkgLength cannot hold
        Name = name;
        Bits = bits;
    }

    public string Name { get; }

    public int Bits { get; }

    public int EncodedLength => AmlPath.SegmentLength + AmlPackageLength.Size(Bits);

    public void WriteTo(IAmlSink sink)
    {
        AmlPath.WriteSegment(sink, Name);
        AmlPackageLength.Write(sink, Bits, includesItself: false);
    }
}

/// <summary>Field(REGION, access, lock, update) { units }.</summary>
public sealed class AmlField : IAml
{
    private readonly int _bodyLength;

    public AmlField(string region, AmlAccessType access, AmlLockRule lockRule, AmlUpdateRule update,
        params ImmutableArray<AmlFieldUnit> units)
    {
        Region = new AmlPath(region);
        Flags = (byte)((byte)update << 5 | (byte)lockRule << 4 | (byte)access);
        Units = units.IsDefault ? throw new ArgumentNullException(nameof(units)) : units;
        int length = Region.EncodedLength + sizeof(byte);
        foreach (var unit in units)
            length = checked(length + unit.EncodedLength);
        _bodyLength = length;
        EncodedLength = AmlPackageLength.BlockLength(AmlOpcode.Field, _bodyLength);
    }

    public AmlPath Region { get; }

    /// <summary>FieldFlags: AccessType in bits 0-3, LockRule in bit 4, UpdateRule in bits 5-6.</summary>
    public byte Flags { get; }

    public ImmutableArray<AmlFieldUnit> Units { get; }

    public int EncodedLength { get; }

    public void WriteTo(IAmlSink sink)
    {
        AmlPackageLength.WriteBlockHead(sink, AmlOpcode.Field, _bodyLength);
        Region.WriteTo(sink);
        sink.Byte(Flags);
        foreach (var unit in Units)
            unit.WriteTo(sink);
    }
}
