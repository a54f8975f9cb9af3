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
    /// <summary>A source whose state has been migrated away.</summary>
    PostMigrate,
}
