using Microsoft.Extensions.Options;

namespace StatsApi.Data;

public sealed class DatabaseOptions
{
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>
    /// The server cancels a statement that runs longer (statement_timeout), so no request waits on the
    /// database for ever; migrations and the demo-data loader run without it.
    /// </summary>
    public int CommandTimeoutSeconds { get; set; } = 15;
}

public sealed class DatabaseOptionsValidation : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options) =>
        options.CommandTimeoutSeconds is < 1 or > 3600
            ? ValidateOptionsResult.Fail($"Database:CommandTimeoutSeconds must be between 1 and 3600, not {options.CommandTimeoutSeconds}.")
            : ValidateOptionsResult.Success;
}
