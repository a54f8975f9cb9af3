using System.Buffers.Binary;
using System.Text;

namespace Vnvdimm.Migration;

/// <summary>
/// The device-state record: one section per <see cref="IMigratableState"/> of the machine, each
/// u8 name length, the name (ASCII), u32 state length, the state. The destination takes it only if it
/// holds exactly its own machine's sections, each accepted by its part.
/// </summary>
public static class DeviceStateRecord
{
    public static byte[] Save(IReadOnlyList<IMigratableState> parts)
    {
        var record = new List<byte>();
        Span<byte> length = stackalloc byte[4];
        foreach (var part in parts)
        {
            byte[] name = Encoding.ASCII.GetBytes(part.MigrationSection), state = part.SaveState();
            record.Add(checked((byte)name.Length));
            record.AddRange(name);
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)state.Length);
            record.AddRange(length);
            record.AddRange(state);
        }
        return [.. record];
    }

    /// <summary>Splits and checks a record; the result is applied with <see cref="Load"/>.</summary>
    public static IReadOnlyList<(IMigratableState Part, byte[] State)> Check(ReadOnlySpan<byte> record, IReadOnlyList<IMigratableState> parts)
    {
        var byName = parts.ToDictionary(p => p.MigrationSection, StringComparer.Ordinal);
        var sections = new List<(IMigratableState, byte[])>();
        while (!record.IsEmpty)
        {
            int nameLength = record[0];
            if (record.Length < 1 + nameLength + 4)
                throw new InvalidDataException("the device state record is malformed");
            string name = Encoding.ASCII.GetString(record.Slice(1, nameLength));
            uint stateLength = BinaryPrimitives.ReadUInt32LittleEndian(record[(1 + nameLength)..]);
            record = record[(1 + nameLength + 4)..];
            if (stateLength > (uint)record.Length)
                throw new InvalidDataException("the device state record is malformed");
            if (!byName.Remove(name, out var part))
                throw new InvalidDataException(parts.Any(p => p.MigrationSection == name)
                    ? $"the device state carries section '{name}' twice"
                    : $"the device state carries section '{name}', which this machine does not have");
            var state = record[..(int)stateLength];
            part.CheckState(state);
            sections.Add((part, state.ToArray()));
            record = record[(int)stateLength..];
        }
        if (byName.Count > 0)
            throw new InvalidDataException($"the device state lacks section '{byName.Keys.Order(StringComparer.Ordinal).First()}'");
        return sections;
    }

    public static void Load(IReadOnlyList<(IMigratableState Part, byte[] State)> sections)
    {
        foreach (var (part, state) in sections)
            part.LoadState(state);
    }
}
