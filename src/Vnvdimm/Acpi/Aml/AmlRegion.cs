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
public sealed record AmlOperationRegion(string Name, AmlRegionSpace Space, IAml Offset, uint Length) : IAml
{
    public void AppendTo(AmlWriter aml)
    {
        AmlOpcode.Write(aml, AmlOpcode.OperationRegion);
        AmlPath.Append(aml, Name);
        aml.Add((byte)Space);
        Offset.AppendTo(aml);
        AmlInteger.Append(aml, Length);
    }
}

/// <summary>A named field unit of <see cref="Bits"/> bits inside a Field.</summary>
public sealed record AmlFieldUnit(string Name, int Bits)
{
    public void AppendTo(AmlWriter aml)
    {
        AmlPath.AppendSegment(aml, Name);
        AmlPackageLength.Append(aml, Bits, includesItself: false);
    }
}

/// <summary>Field(REGION, access, lock, update) { units }.</summary>
public sealed record AmlField(string Region, AmlAccessType Access, AmlLockRule Lock, AmlUpdateRule Update, params AmlFieldUnit[] Units) : IAml
{
    public void AppendTo(AmlWriter aml)
    {
        int start = AmlPackageLength.BeginBlock(aml, AmlOpcode.Field);
        AmlPath.Append(aml, Region);
        aml.Add((byte)((byte)Update << 5 | (byte)Lock << 4 | (byte)Access));
        foreach (var u in Units)
            u.AppendTo(aml);
        AmlPackageLength.EndBlock(aml, start);
    }
}
