using System.Globalization;
using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using StatsApi.PersonTokens;
using StatsApi.Tokens;

namespace StatsApi.Auth;

public enum RevocationKind { Client, User, ApiToken }

/// <summary>
/// What no longer authorises anything (a client, a person, one API token), as last read from the
/// database. Every instance reloads it every few seconds, so a revocation anywhere stops the tokens
/// already issued within that bound, with no database trip per request.
/// </summary>
public sealed class Revocations(NpgsqlDataSource dataSource, IOptions<TokenOptions> tokens)
{
    private volatile IReadOnlyDictionary<(string Kind, string Subject), DateTime> _revoked = new Dictionary<(string, string), DateTime>();

    public static string Name(RevocationKind kind) => kind switch
    {
        RevocationKind.Client => "client",
        RevocationKind.User => "user",
        _ => "api_token",
    };

    public static string UserSubject(string school, long userId) => FormattableString.Invariant($"{school}/{userId}");

    public static string ApiTokenSubject(long tokenId) => tokenId.ToString(CultureInfo.InvariantCulture);

    /// <summary>Records a revocation in the caller's transaction; every instance applies it at its next reload.</summary>
    /// <remarks>The time is the new row's revoked_at (its default, now()): Citus refuses now() itself in ON CONFLICT DO UPDATE.</remarks>
    public static Task RevokeAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, RevocationKind kind, string subject, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into token_revocations (kind, subject) values (@kind, @subject)
            on conflict (kind, subject) do update set revoked_at = excluded.revoked_at
            """, new { kind = Name(kind), subject }, transaction, cancellationToken: cancellationToken));

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        // A revocation older than the longest token lifetime (and the clock skew) can refuse nothing.
        var horizon = TimeSpan.FromMinutes(Math.Max(tokens.Value.LifetimeMinutes, tokens.Value.PersonLifetimeMinutes) + 5);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var revoked = (await connection.QueryAsync<(string Kind, string Subject, DateTime RevokedAt)>(new CommandDefinition(
            "select kind, subject, revoked_at from token_revocations where revoked_at > now() - @horizon",
            new { horizon }, cancellationToken: cancellationToken)))
            .ToDictionary(r => (r.Kind, r.Subject), r => r.RevokedAt);
        _revoked = revoked;
    }

    /// <summary>Why a validated token no longer counts, or null when nothing it came from was revoked after it was issued.</summary>
    public string? RevokedPart(ClaimsPrincipal user)
    {
        if (!long.TryParse(user.FindFirst("iat")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var iat))
        {
            return null;
        }
        var issuedAt = DateTime.UnixEpoch.AddSeconds(iat);
        var revoked = _revoked;
        bool RevokedSince(RevocationKind kind, string? subject) =>
            subject is not null && revoked.TryGetValue((Name(kind), subject), out var at) && at >= issuedAt;

        if (RevokedSince(RevocationKind.Client, Caller.ClientId(user)))
        {
            return "client";
        }
        if (Caller.PersonId(user) is { } person && user.FindFirst("schools")?.Value is { } school
            && RevokedSince(RevocationKind.User, UserSubject(school, person)))
        {
            return "person";
        }
        return RevokedSince(RevocationKind.ApiToken, user.FindFirst(PersonClaims.ApiToken)?.Value) ? "api token" : null;
    }
}

/// <summary>Reloads the revocations every Auth:RevocationRefreshSeconds (15 by default).</summary>
public sealed class RevocationRefresher(Revocations revocations, IOptions<AuthOptions> auth, ILogger<RevocationRefresher> logger) : BackgroundService
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
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(ex, "Could not reload revocations; keeping the ones loaded");
            }
        }
    }
}
