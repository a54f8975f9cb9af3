namespace Vnvdimm.Acpi.Aml;

/// <summary>An operator: its opcode and operands in order (ACPI 6.2A 20.2.5).</summary>
public sealed record AmlOperator(byte[] Opcode, params IAml[] Operands) : IAml
{
    /// <summary>The NullName "no target" operand of operators whose result is not stored.</summary>
    public static readonly IAml NoTarget = new AmlRaw(0x00);

    public void AppendTo(AmlWriter aml)
    {
        aml.AddRange(Opcode);
        foreach (var o in Operands)
            o.AppendTo(aml);
    }
}

/// <summary>Bytes emitted as they are: fixed encodings such as NullName, or terms encoded once ahead.</summary>
public sealed record AmlRaw(params byte[] Bytes) : IAml
{
    /// <summary>The encoding of <paramref name="terms"/>, computed now; for terms reused many times unchanged.</summary>
    public static AmlRaw Encode(params IAml[] terms)
    {
        using var writer = new AmlWriter();
        foreach (var t in terms)
            t.AppendTo(writer);
        return new AmlRaw(writer.ToArray());
    }

    public void AppendTo(AmlWriter aml) => aml.AddRange(Bytes);
}

/// <summary>The AML operators, named as in ASL.</summary>
public static class Aml
{
    public static IAml Int(ulong value) => new AmlInteger(value);
    public static IAml Name(string path) => new AmlName(path);
    public static IAml Arg(int n) => AmlVariable.Arg(n);
    public static IAml Local(int n) => AmlVariable.Local(n);

    public static IAml Store(IAml value, IAml target) => Op(AmlOpcode.Store, value, target);
    public static IAml Add(IAml a, IAml b, IAml? target = null) => Op(0x72, a, b, target ?? AmlOperator.NoTarget);
    public static IAml Concatenate(IAml a, IAml b, IAml? target = null) => Op(0x73, a, b, target ?? AmlOperator.NoTarget);
    public static IAml Subtract(IAml a, IAml b, IAml? target = null) => Op(0x74, a, b, target ?? AmlOperator.NoTarget);
    public static IAml Increment(IAml target) => Op(0x75, target);
    public static IAml ShiftLeft(IAml value, IAml count, IAml? target = null) => Op(0x79, value, count, target ?? AmlOperator.NoTarget);
    public static IAml DerefOf(IAml reference) => Op(0x83, reference);
    public static IAml SizeOf(IAml value) => Op(0x87, value);
    public static IAml Index(IAml source, IAml index, IAml? target = null) => Op(0x88, source, index, target ?? AmlOperator.NoTarget);
    public static IAml CreateDWordField(IAml buffer, IAml byteIndex, string name) => Op(0x8a, buffer, byteIndex, new AmlName(name));
    public static IAml ObjectType(IAml value) => Op(0x8e, value);
    public static IAml LAnd(IAml a, IAml b) => Op(0x90, a, b);
    public static IAml LOr(IAml a, IAml b) => Op(0x91, a, b);
    public static IAml LNot(IAml a) => Op(0x92, a);
    public static IAml LEqual(IAml a, IAml b) => Op(0x93, a, b);
    public static IAml LLess(IAml a, IAml b) => Op(0x95, a, b);
    public static IAml ToBuffer(IAml value, IAml? target = null) => Op(0x96, value, target ?? AmlOperator.NoTarget);
    public static IAml CreateField(IAml buffer, IAml bitIndex, IAml bits, string name) =>
        new AmlOperator([0x5b, 0x13], buffer, bitIndex, bits, new AmlName(name));

    private static AmlOperator Op(byte opcode, params IAml[] operands) => new([opcode], operands);
}
