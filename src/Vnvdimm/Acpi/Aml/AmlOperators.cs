using System.Collections.Immutable;

namespace Vnvdimm.Acpi.Aml;

/// <summary>An operator: its opcode and operands in order (ACPI 6.2A 20.2.5).</summary>
public sealed class AmlOperator : IAml
{
    /// <summary>The NullName "no target" operand of operators whose result is not stored.</summary>
    public static readonly IAml NoTarget = new AmlRaw(AmlOpcode.NullName);

    public AmlOperator(ushort opcode, params ImmutableArray<IAml> operands)
    {
        Opcode = opcode;
        Operands = operands;
        EncodedLength = checked(AmlOpcode.Length(opcode) + AmlTerms.Length(operands));
    }

    public ushort Opcode { get; }

    public ImmutableArray<IAml> Operands { get; }

    public int EncodedLength { get; }

    public void WriteTo(IAmlSink sink)
    {
        AmlOpcode.Write(sink, Opcode);
        AmlTerms.Write(sink, Operands);
    }
}

/// <summary>What ObjectType returns (ACPI 6.2A 19.6.96), for the types the AML here tests for.</summary>
public static class AmlObjectType
{
    public const ulong Package = 4;
}

/// <summary>The AML operators, named as in ASL.</summary>
public static class Aml
{
    public static IAml Int(ulong value) => new AmlInteger(value);
    public static IAml Path(string path) => new AmlPath(path);
    public static IAml Arg(int n) => AmlVariable.Arg(n);
    public static IAml Local(int n) => AmlVariable.Local(n);

    public static IAml Store(IAml value, IAml target) => Op(AmlOpcode.Store, value, target);
    public static IAml Add(IAml a, IAml b, IAml? target = null) => Op(AmlOpcode.Add, a, b, target ?? AmlOperator.NoTarget);
    public static IAml Concatenate(IAml a, IAml b, IAml? target = null) =>
        Op(AmlOpcode.Concatenate, a, b, target ?? AmlOperator.NoTarget);
    public static IAml Subtract(IAml a, IAml b, IAml? target = null) => Op(AmlOpcode.Subtract, a, b, target ?? AmlOperator.NoTarget);
    public static IAml Increment(IAml target) => Op(AmlOpcode.Increment, target);
    public static IAml ShiftLeft(IAml value, IAml count, IAml? target = null) =>
        Op(AmlOpcode.ShiftLeft, value, count, target ?? AmlOperator.NoTarget);
    public static IAml DerefOf(IAml reference) => Op(AmlOpcode.DerefOf, reference);
    public static IAml SizeOf(IAml value) => Op(AmlOpcode.SizeOf, value);
    public static IAml Index(IAml source, IAml index, IAml? target = null) =>
        Op(AmlOpcode.Index, source, index, target ?? AmlOperator.NoTarget);
    public static IAml CreateDWordField(IAml buffer, IAml byteIndex, string name) =>
        Op(AmlOpcode.CreateDWordField, buffer, byteIndex, new AmlPath(name));
    public static IAml ObjectType(IAml value) => Op(AmlOpcode.ObjectType, value);
    public static IAml LAnd(IAml a, IAml b) => Op(AmlOpcode.LAnd, a, b);
    public static IAml LOr(IAml a, IAml b) => Op(AmlOpcode.LOr, a, b);
    public static IAml LNot(IAml a) => Op(AmlOpcode.LNot, a);
    public static IAml LEqual(IAml a, IAml b) => Op(AmlOpcode.LEqual, a, b);
    public static IAml LLess(IAml a, IAml b) => Op(AmlOpcode.LLess, a, b);
    public static IAml ToBuffer(IAml value, IAml? target = null) => Op(AmlOpcode.ToBuffer, value, target ?? AmlOperator.NoTarget);
    public static IAml CreateField(IAml buffer, IAml bitIndex, IAml bits, string name) =>
        Op(AmlOpcode.CreateField, buffer, bitIndex, bits, new AmlPath(name));

    private static AmlOperator Op(ushort opcode, params ImmutableArray<IAml> operands) => new(opcode, operands);
}
