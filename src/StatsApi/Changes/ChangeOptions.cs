namespace StatsApi.Changes;

internal sealed class ChangeOptions
{
    public const string Section = "Changes";

    /// <summary>How long changes and tombstones are kept; a cursor older than that answers 410.</summary>
    public int RetentionDays { get; set; } = 30;
}
