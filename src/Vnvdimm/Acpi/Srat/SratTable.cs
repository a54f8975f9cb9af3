using System.Buffers.Binary;

namespace Vnvdimm.Acpi.Srat;

/// <summary>Processor Local APIC Affinity structure (ACPI 6.2A 5.2.16.1).</summary>
public readonly record struct SratProcessorAffinity(byte ApicId, uint ProximityDomain)
{
    public const int Length = 16;

    public void WriteTo(Span<byte> d)
    {
        d[0] = 0;
        d[1] = Length;
        d[2] = (byte)ProximityDomain;
        d[3] = ApicId;
        BinaryPrimitives.WriteUInt32LittleEndian(d[4..], 1); // enabled
        d[9] = (byte)(ProximityDomain >> 8);
        d[10] = (byte)(ProximityDomain >> 16);
        d[11] = (byte)(ProximityDomain >> 24);
    }
}

[Flags]
public enum MemoryAffinityFlags : uint
{
    None = 0,
    Enabled = 1,
    HotPluggable = 2,
    NonVolatile = 4,
}

/// <summary>Memory Affinity structure (ACPI 6.2A 5.2.16.2).</summary>
public readonly record struct SratMemoryAffinity(ulong Base, ulong Size, uint ProximityDomain, MemoryAffinityFlags Flags)
{
    public const int Length = 40;

    public void WriteTo(Span<byte> d)
    {
        d[0] = 1;
        d[1] = Length;
        BinaryPrimitives.WriteUInt32LittleEndian(d[2..], ProximityDomain);
        BinaryPrimitives.WriteUInt64LittleEndian(d[8..], Base);
        BinaryPrimitives.WriteUInt64LittleEndian(d[16..], Size);
        BinaryPrimitives.WriteUInt32LittleEndian(d[28..], (uint)Flags);
    }
}

/// <summary>System Resource Affinity Table, revision 1 as QEMU emits it.</summary>
public sealed class SratTable(IReadOnlyList<SratProcessorAffinity> processors, IReadOnlyList<SratMemoryAffinity> memory) : IAcpiTable
{
    public string Signature => "SRAT";

    public byte[] ToBytes()
    {
        const int reserved = 12;
        int length = reserved + processors.Count * SratProcessorAffinity.Length + memory.Count * SratMemoryAffinity.Length;
        return AcpiTableHeader.Build(Signature, 1, length, body =>
        {
            BinaryPrimitives.WriteUInt32LittleEndian(body, 1); // "reserved, must be 1" for compatibility
            int offset = reserved;
            foreach (var p in processors)
            {
                p.WriteTo(body[offset..]);
                offset += SratProcessorAffinity.Length;
            }
            foreach (var m in memory)
            {
                m.WriteTo(body[offset..]);
                offset += SratMemoryAffinity.Length;
            }
        });
    }
}
