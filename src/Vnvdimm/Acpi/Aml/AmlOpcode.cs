namespace Vnvdimm.Acpi.Aml;

/// <summary>
/// The AML opcodes and prefixes this encoder writes (ACPI 6.2A 20.2 and 20.3), each defined once.
/// Extended opcodes are 16-bit, <see cref="ExtPrefix"/> in the high byte, as ACPICA spells them.
/// </summary>
public static class AmlOpcode
{
    // Data objects (20.2.3)
    public const byte Zero = 0x00, One = 0x01;
    public const byte BytePrefix = 0x0a, WordPrefix = 0x0b, DWordPrefix = 0x0c, StringPrefix = 0x0d, QWordPrefix = 0x0e;

    // Name strings (20.2.2)
    public const byte NullName = 0x00, DualNamePrefix = 0x2e, MultiNamePrefix = 0x2f;
    public const byte RootChar = (byte)'\\', ParentPrefixChar = (byte)'^';

    // Named objects and blocks (20.2.5.1 to 20.2.5.3)
    public const byte Name = 0x08, Scope = 0x10, Buffer = 0x11, Package = 0x12, Method = 0x14;
    public const byte If = 0xa0, Else = 0xa1, While = 0xa2, Return = 0xa4;

    // Local0..Local7 and Arg0..Arg6 follow these in order (20.2.6).
    public const byte Local0 = 0x60, Arg0 = 0x68;

    // Operators (20.2.5.4)
    public const byte Store = 0x70, Add = 0x72, Concatenate = 0x73, Subtract = 0x74, Increment = 0x75, ShiftLeft = 0x79;
    public const byte DerefOf = 0x83, SizeOf = 0x87, Index = 0x88, CreateDWordField = 0x8a, ObjectType = 0x8e;
    public const byte LAnd = 0x90, LOr = 0x91, LNot = 0x92, LEqual = 0x93, LLess = 0x95, ToBuffer = 0x96;

    // Extended opcodes: ExtPrefix, then the second byte.
    public const byte ExtPrefix = 0x5b;
    public const ushort CreateField = ExtPrefix << 8 | 0x13;
    public const ushort OperationRegion = ExtPrefix << 8 | 0x80, Field = ExtPrefix << 8 | 0x81, Device = ExtPrefix << 8 | 0x82;

    /// <summary>Bytes the opcode takes: 2 for an extended one.</summary>
    public static int Length(ushort opcode) => opcode > byte.MaxValue ? 2 : 1;

    public static void Write(IAmlSink sink, ushort opcode)
    {
        if (opcode > byte.MaxValue)
            sink.Byte((byte)(opcode >> 8));
        sink.Byte((byte)opcode);
    }
}
