namespace Vnvdimm.Vmm;

/// <summary>The run states QEMU reports in <c>query-status</c> that a machine without a CPU can be in.</summary>
public enum RunState
{
    /// <summary>Started with -S, never continued.</summary>
    Prelaunch,
    Running,
    /// <summary>Stopped by <c>stop</c>.</summary>
    Paused,
    Shutdown,
    /// <summary>Waiting for an incoming migration (-incoming).</summary>
    InMigrate,
    /// <summary>A source in migration's stop-and-copy.</summary>
    FinishMigrate,
    /// <summary>A source whose state has been migrated away.</summary>
    PostMigrate,
}

/// <summary>QEMU's names and its table of allowed transitions (system/runstate.c), for the states we have.</summary>
public static class RunStates
{
    public static string Name(RunState state) => state switch
    {
        RunState.Prelaunch => "prelaunch",
        RunState.Running => "running",
        RunState.Paused => "paused",
        RunState.InMigrate => "inmigrate",
        RunState.FinishMigrate => "finish-migrate",
        RunState.PostMigrate => "postmigrate",
        _ => "shutdown",
    };

    /// <summary>Shutdown is reachable from anywhere (quit, a signal); nothing leaves it.</summary>
    public static bool Allowed(RunState from, RunState to) => to == RunState.Shutdown ? from != RunState.Shutdown : (from, to) switch
    {
        (RunState.Prelaunch, RunState.Running or RunState.FinishMigrate or RunState.InMigrate) => true,
        (RunState.Running, RunState.Paused or RunState.FinishMigrate) => true,
        (RunState.Paused, RunState.Running or RunState.FinishMigrate or RunState.PostMigrate) => true,
        (RunState.InMigrate, RunState.Running or RunState.Paused or RunState.Prelaunch or RunState.PostMigrate) => true,
        (RunState.FinishMigrate, RunState.PostMigrate or RunState.Paused or RunState.Running or RunState.Prelaunch) => true,
        (RunState.PostMigrate, RunState.Running or RunState.Paused or RunState.FinishMigrate) => true,
        _ => false,
    };
}
