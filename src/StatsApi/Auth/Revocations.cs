using System.Globalization;
using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using StatsApi.Tokens;
using StatsApi.Data;

namespace StatsApi.Auth;

internal enum RevocationKind { Client, User, ApiToken }

/// <summary>
/// What no longer authorises the tokens issued from it (a client, a person, one API token), as last read
/// from the database. Each revocation raises its subject's generation; a token carries the generation of
/// its client (and of its person) read with the grants it was issued from, and counts while no later one
/// is recorded. No clock takes part, so a token issued after a change always counts and one issued before
/// never does, whatever the clocks of the instances and the database (decision 0011). Every instance
/// reloads the generations every few seconds, with no database trip per request.
/// </summary>
internal sealed class Revocations(NpgsqlDataSource dataSource, IOptions<TokenOptions> tokens)
{
    /// <summary>The client's generation a token was issued under.</summary>
    public const string ClientGenerationClaim = "client_generation";

    /// <summary>The person's generation a token that acts for them was issued under.</summary>
    public const string PersonGenerationClaim = "person_generation";

    private volatile IReadOnlyDictionary<(string Kind, string Subject), long> _revoked = new Dictionary<(string, string), long>();

    public static string Name(RevocationKind kind) => kind switch
    {
        RevocationKind.Client => "client",
        RevocationKind.User => "user",
        _ => "api_token",
    };

    public static string UserSubject(string school, long userId) => FormattableString.Invariant($"{school}/{userId}");

    public static string ApiTokenSubject(long tokenId) => tokenId.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Records a revocation in the caller's transaction: the subject's next generation. Tokens issued from
    /// what the transaction replaced carry an earlier one; every instance refuses them at its next reload.
    /// </summary>
    /// <remarks>The time is the new row's revoked_at (its default, now()): Citus refuses now() itself in ON CONFLICT DO UPDATE.</remarks>
    public static Task RevokeAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, RevocationKind kind, string subject, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into token_revocations (kind, subject) values (@kind, @subject)
            on conflict (kind, subject) do update set revoked_at = excluded.revoked_at, generation = token_revocations.generation + 1
            """, new { kind = Name(kind), subject }, transaction, cancellationToken: cancellationToken));

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        // A revocation older than the longest token lifetime (and the clock skew) can refuse nothing.
        var horizon = TimeSpan.FromMinutes(Math.Max(tokens.Value.LifetimeMinutes, tokens.Value.PersonLifetimeMinutes) + 5);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var revoked = (await connection.QueryAsync<(string Kind, string Subject, long Generation)>(new CommandDefinition(
            "select kind, subject, generation from token_revocations where revoked_at > now() - @horizon",
            new { horizon }, cancellationToken: cancellationToken)))
            .ToDictionary(r => (r.Kind, r.Subject), r => r.Generation);
        _revoked = revoked;
    }

    /// <summary>Why a validated token no longer counts, or null when nothing it came from was revoked since it was issued.</summary>
    public string? RevokedPart(ClaimsPrincipal user)
    {
        var revoked = _revoked;
        if (revoked.Count == 0)
        {
            return null;
        }
        // A token without a generation (an API token's is never carried: deleting one is for good) was issued before any.
        bool RevokedSince(RevocationKind kind, string? subject, string? generationClaim) =>
            subject is not null && revoked.TryGetValue((Name(kind), subject), out var current) &&
            current > (long.TryParse(generationClaim is null ? null : user.FindFirst(generationClaim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var carried) ? carried : 0);

        if (RevokedSince(RevocationKind.Client, Caller.ClientId(user), ClientGenerationClaim))
        {
            return "client";
        }
        if (Caller.PersonId(user) is { } person && user.FindFirst("schools")?.Value is { } school
            && RevokedSince(RevocationKind.User, UserSubject(school, person), PersonGenerationClaim))
        {
            return "person";
        }
        return RevokedSince(RevocationKind.ApiToken, user.FindFirst(PersonClaims.ApiToken)?.Value, null) ? "api token" : null;
    }
}

/// <summary>Reloads the revocations every Auth:RevocationRefreshSeconds (15 by default).</summary>
internal sealed class RevocationRefresher(Revocations revocations, IOptions<AuthOptions> auth, ILogger<RevocationRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Clamp(auth.Value.RevocationRefreshSeconds, 1, 60)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await revocations.RefreshAsync(stoppingToken);
            }
            catch (Exception ex) when (DatabaseUnavailable.IsFromTheDatabase(ex))
            {
                logger.LogWarning(ex, "Could not reload revocations; keeping the ones loaded");
            }
        }
    }
}
