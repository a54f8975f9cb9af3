using System.Text;
using Vnvdimm.Migration;

namespace Vnvdimm.Vmm;

/// <summary>
/// The source's run state travels (QEMU's "globalstate" section): a destination runs after the
/// migration only if the source was running (and neither -S nor <c>stop</c> said otherwise); a paused
/// or never started source stays so on the destination.
/// </summary>
internal sealed class RunStateSection(Machine machine) : IMigratableState
{
    private static readonly RunState[] Carried = [RunState.Running, RunState.Paused, RunState.Prelaunch, RunState.PostMigrate];

    public string MigrationSection => "runstate";

    public byte[] SaveState() => Encoding.ASCII.GetBytes(RunStates.Name(machine.RunStateBeforeMigration));

    public void CheckState(ReadOnlySpan<byte> state)
    {
        if (Parse(state) is null)
            throw new InvalidDataException($"the source's run state '{Encoding.ASCII.GetString(state)}' is not one a migration leaves");
    }

    public void LoadState(ReadOnlySpan<byte> state) => machine.SourceRunState = Parse(state);

    private static RunState? Parse(ReadOnlySpan<byte> state)
    {
        foreach (var candidate in Carried)
            if (state.SequenceEqual(Encoding.ASCII.GetBytes(RunStates.Name(candidate))))
                return candidate;
        return null;
    }
}
