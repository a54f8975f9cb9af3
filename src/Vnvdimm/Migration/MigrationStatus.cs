using System.Text.Json.Serialization;

namespace Vnvdimm.Migration;

/// <summary>QAPI's MigrationStatus, the values a vnvdimm migration goes through (no postcopy, COLO or switchover pauses).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MigrationStatus>))]
public enum MigrationStatus
{
    [JsonStringEnumMemberName("none")] None,
    [JsonStringEnumMemberName("setup")] Setup,
    [JsonStringEnumMemberName("cancelling")] Cancelling,
    [JsonStringEnumMemberName("cancelled")] Cancelled,
    [JsonStringEnumMemberName("active")] Active,
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("failed")] Failed,
}

public static class MigrationStatuses
{
    /// <summary>QAPI's name, as QMP events and HMP print it.</summary>
    public static string Name(this MigrationStatus status) => status switch
    {
        MigrationStatus.None => "none",
        MigrationStatus.Setup => "setup",
        MigrationStatus.Cancelling => "cancelling",
        MigrationStatus.Cancelled => "cancelled",
        MigrationStatus.Active => "active",
        MigrationStatus.Completed => "completed",
        _ => "failed",
    };

    /// <summary>A migration is under way: another may not start, capabilities may not change.</summary>
    public static bool InProgress(this MigrationStatus status) =>
        status is MigrationStatus.Setup or MigrationStatus.Active or MigrationStatus.Cancelling;
}
