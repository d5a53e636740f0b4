using Microsoft.Extensions.Options;

namespace StatsApi.Data;

internal sealed class DatabaseOptions
{
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>
    /// The server cancels a statement that runs longer (statement_timeout), so no request waits on the
    /// database for ever; migrations and the demo-data loader run without it.
    /// </summary>
    public int CommandTimeoutSeconds { get; set; } = 15;

    /// <summary>
    /// How long a request waits for a connection, from the pool or newly opened (Npgsql's Timeout): short,
    /// so an exhausted pool or an unreachable server answers 503 in seconds rather than holding the request.
    /// </summary>
    public int ConnectionTimeoutSeconds { get; set; } = 3;

    /// <summary>
    /// How many statements each connection keeps prepared (Npgsql's Max Auto Prepare): the server then
    /// plans the hot ones once per connection instead of on every call. 0 turns it off, for a pooler in
    /// front that cannot keep prepared statements.
    /// </summary>
    public int MaxAutoPrepare { get; set; } = 50;

    /// <summary>
    /// With several hosts in the connection string, how far behind the primary a standby may be and still
    /// serve reads: one further behind is skipped, and a client that wrote within this many seconds reads
    /// from the primary, so that it sees what it wrote.
    /// </summary>
    public int MaxReplicaLagSeconds { get; set; } = 5;
}

internal sealed class DatabaseOptionsValidation : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        var failures = new List<string>();
        if (options.CommandTimeoutSeconds is < 1 or > 3600)
        {
            failures.Add($"Database:CommandTimeoutSeconds must be between 1 and 3600, not {options.CommandTimeoutSeconds}.");
        }
        if (options.ConnectionTimeoutSeconds is < 1 or > 60)
        {
            failures.Add($"Database:ConnectionTimeoutSeconds must be between 1 and 60, not {options.ConnectionTimeoutSeconds}.");
        }
        if (options.MaxAutoPrepare is < 0 or > 1000)
        {
            failures.Add($"Database:MaxAutoPrepare must be between 0 and 1000, not {options.MaxAutoPrepare}.");
        }
        if (options.MaxReplicaLagSeconds is < 1 or > 3600)
        {
            failures.Add($"Database:MaxReplicaLagSeconds must be between 1 and 3600, not {options.MaxReplicaLagSeconds}.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
