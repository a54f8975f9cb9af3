using System.Buffers.Binary;

namespace Vnvdimm.Acpi.Nfit;

/// <summary>One NFIT sub-structure (ACPI 6.2A 5.2.25): type, length, then its own fields.</summary>
public interface INfitStructure
{
    ushort Type { get; }
    int Length { get; }
    void WriteTo(Span<byte> destination);
}

/// <summary>System Physical Address Range structure (type 0) describing a persistent-memory range.</summary>
public readonly record struct NfitSpaRange(ushort SpaIndex, uint ProximityDomain, ulong Base, ulong Size) : INfitStructure
{
    /// <summary>The "persistent memory" address range type GUID, 66F0D379-B4F3-4074-AC43-0D3318B78CDB.</summary>
    public static readonly Guid PersistentMemory = new("66f0d379-b4f3-4074-ac43-0d3318b78cdb");

    public const ushort FlagControlRegionForHotAdd = 1, FlagProximityDomainValid = 2;
    public const ulong MemoryWriteBack = 0x8, MemoryNonVolatile = 0x8000;

    public ushort Type => 0;
    public int Length => 56;

    public void WriteTo(Span<byte> d)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(d, Type);
        BinaryPrimitives.WriteUInt16LittleEndian(d[2..], (ushort)Length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[4..], SpaIndex);
        BinaryPrimitives.WriteUInt16LittleEndian(d[6..], FlagControlRegionForHotAdd | FlagProximityDomainValid);
        BinaryPrimitives.WriteUInt32LittleEndian(d[12..], ProximityDomain);
        PersistentMemory.TryWriteBytes(d.Slice(16, 16));
        BinaryPrimitives.WriteUInt64LittleEndian(d[32..], Base);
        BinaryPrimitives.WriteUInt64LittleEndian(d[40..], Size);
        BinaryPrimitives.WriteUInt64LittleEndian(d[48..], MemoryWriteBack | MemoryNonVolatile);
    }
}

/// <summary>Memory Device to System Physical Address Range Mapping structure (type 1).</summary>
public readonly record struct NfitMemoryDeviceMap(uint Handle, ushort SpaIndex, ushort ControlRegionIndex, ulong RegionSize, bool NotArmed)
    : INfitStructure
{
    public const ushort FlagNotArmed = 1 << 3;

    public ushort Type => 1;
    public int Length => 48;

    public void WriteTo(Span<byte> d)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(d, Type);
        BinaryPrimitives.WriteUInt16LittleEndian(d[2..], (ushort)Length);
        BinaryPrimitives.WriteUInt32LittleEndian(d[4..], Handle);
        // physical id and region id stay 0
        BinaryPrimitives.WriteUInt16LittleEndian(d[12..], SpaIndex);
        BinaryPrimitives.WriteUInt16LittleEndian(d[14..], ControlRegionIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(d[16..], RegionSize);
        // region offset and DPA are 0: the whole device backs one range
        BinaryPrimitives.WriteUInt16LittleEndian(d[42..], 1); // interleave ways
        BinaryPrimitives.WriteUInt16LittleEndian(d[44..], NotArmed ? FlagNotArmed : (ushort)0);
    }
}

/// <summary>NVDIMM Control Region structure (type 4): identifies the DIMM (Intel vendor, byte-addressable format).</summary>
public readonly record struct NfitControlRegion(ushort ControlRegionIndex, uint SerialNumber) : INfitStructure
{
    public const ushort VendorIntel = 0x8086;
    public const ushort FormatInterfaceByteAddressable = 0x301;

    public ushort Type => 4;
    public int Length => 80;

    public void WriteTo(Span<byte> d)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(d, Type);
        BinaryPrimitives.WriteUInt16LittleEndian(d[2..], (ushort)Length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[4..], ControlRegionIndex);
        BinaryPrimitives.WriteUInt16LittleEndian(d[6..], VendorIntel);
        BinaryPrimitives.WriteUInt16LittleEndian(d[8..], 1); // device id
        BinaryPrimitives.WriteUInt16LittleEndian(d[10..], 1); // revision: the DSM interface revision 1
        BinaryPrimitives.WriteUInt32LittleEndian(d[24..], SerialNumber);
        BinaryPrimitives.WriteUInt16LittleEndian(d[28..], FormatInterfaceByteAddressable);
    }
}

/// <summary>Platform Capabilities structure (type 7): where the platform's persistence domain ends.</summary>
public readonly record struct NfitPlatformCapabilities(uint Capabilities) : INfitStructure
{
    public ushort Type => 7;
    public int Length => 16;

    public void WriteTo(Span<byte> d)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(d, Type);
        BinaryPrimitives.WriteUInt16LittleEndian(d[2..], (ushort)Length);
        d[4] = (byte)(31 - System.Numerics.BitOperations.LeadingZeroCount(Capabilities)); // highest valid capability bit
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], Capabilities);
    }
}
