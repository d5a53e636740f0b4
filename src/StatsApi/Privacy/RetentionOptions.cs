using Microsoft.Extensions.Options;

namespace StatsApi.Privacy;

/// <summary>How long raw data is kept (GDPR Art. 5(1)(e)); both off unless set. Section "Retention".</summary>
internal sealed class RetentionOptions
{
    /// <summary>Raw marks of lessons older than this many months are deleted; the rollups keep their counts. Null: kept for ever.</summary>
    public int? MarksMonths { get; set; }

    /// <summary>Audit events older than this many months are deleted. Null: kept for ever.</summary>
    public int? AuditMonths { get; set; }

    /// <summary>How often the job looks for what expired.</summary>
    public int IntervalMinutes { get; set; } = 60;

    /// <summary>Lessons whose marks one transaction deletes (and audit events, times 50): short transactions, short locks.</summary>
    public int BatchLessons { get; set; } = 100;
}

internal sealed class RetentionOptionsValidation : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var failures = new List<string>();
        if (options.MarksMonths is < 1 or > 1200)
        {
            failures.Add($"Retention:MarksMonths must be between 1 and 1200 months, or left out to keep marks, not {options.MarksMonths}.");
        }
        if (options.AuditMonths is < 1 or > 1200)
        {
            failures.Add($"Retention:AuditMonths must be between 1 and 1200 months, or left out to keep audit events, not {options.AuditMonths}.");
        }
        if (options.IntervalMinutes is < 1 or > 1440)
        {
            failures.Add($"Retention:IntervalMinutes must be between 1 and 1440, not {options.IntervalMinutes}.");
        }
        if (options.BatchLessons is < 1 or > 10000)
        {
            failures.Add($"Retention:BatchLessons must be between 1 and 10000, not {options.BatchLessons}.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
