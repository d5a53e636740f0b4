using Npgsql;
using StatsApi.Auth;
using StatsApi.Data;

namespace StatsApi.Standbys;

/// <summary>
/// Decides, request by request, whether an operation that only reads goes to a standby: only with several
/// hosts in the connection string, while the standbys are within Database:MaxReplicaLagSeconds, for a
/// client's own token (a person acts through a tool that writes, and expects to see what it did), and
/// when that client wrote nothing within the same seconds. A read that fails there runs once more on the
/// primary, so a standby that goes away fails no request.
/// </summary>
internal sealed class ReadRouting
{
    private readonly NpgsqlDataSource? _standby;
    private readonly StandbyMonitor? _monitor;
    private readonly RecentWrites? _writes;
    private readonly ILogger<ReadRouting>? _logger;

    /// <summary>One host: every read goes to it, and nothing is asked or kept to decide so.</summary>
    public static ReadRouting OneHost { get; } = new();

    private ReadRouting()
    {
    }

    public ReadRouting(NpgsqlMultiHostDataSource hosts, StandbyMonitor monitor, RecentWrites writes, ILogger<ReadRouting> logger)
    {
        _standby = hosts.WithTargetSession(TargetSessionAttributes.PreferStandby);
        _monitor = monitor;
        _writes = writes;
        _logger = logger;
    }

    public bool Enabled => _monitor is not null;

    /// <summary>After a write of the caller's reached the database, whether or not it committed.</summary>
    public Task NoteWriteAsync(HttpContext http) =>
        _writes is not null && Caller.ClientId(http.User) is { Length: > 0 } client ? _writes.NoteAsync(client) : Task.CompletedTask;

    internal async ValueTask<object?> RunAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!await MayReadOnStandbyAsync(http))
        {
            return await next(context);
        }
        var reads = http.RequestServices.GetRequiredService<ReadDataSource>();
        reads.UseStandby(_standby!);
        try
        {
            return await next(context);
        }
        catch (Exception ex) when (IsTheDatabasesTrouble(ex) && !http.RequestAborted.IsCancellationRequested)
        {
            _logger!.LogWarning("A read on a standby failed ({Failure}: {Message}); it runs once more on the primary", ex.GetType().Name, ex.Message);
            reads.UsePrimary();
            return await next(context);
        }
    }

    private async ValueTask<bool> MayReadOnStandbyAsync(HttpContext http) =>
        _monitor is { StandbysReadable: true }
        && Caller.PersonId(http.User) is null
        && Caller.ClientId(http.User) is { Length: > 0 } client
        && !await _writes!.WroteRecentlyAsync(client);

    // The standby went away or cancelled the read to go on replaying (a recovery conflict); a statement the
    // server timed out would be as slow on the primary.
    private static bool IsTheDatabasesTrouble(Exception exception) =>
        DatabaseUnavailable.Classify(exception) != DatabaseFailure.None
        && exception is not PostgresException { SqlState: PostgresErrorCodes.QueryCanceled };
}

internal static class StandbyReads
{
    /// <summary>
    /// The operation only reads, and may answer from a standby up to Database:MaxReplicaLagSeconds behind
    /// the primary. Its handler opens connections through <see cref="ReadDataSource"/>.
    /// </summary>
    public static RouteHandlerBuilder ReadsOnStandby(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilterFactory((factory, next) =>
        {
            var routing = factory.ApplicationServices.GetRequiredService<ReadRouting>();
            return routing.Enabled ? context => routing.RunAsync(context, next) : next;
        });
}
