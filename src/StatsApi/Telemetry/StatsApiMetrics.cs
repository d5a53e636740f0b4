using System.Diagnostics.Metrics;

namespace StatsApi.Telemetry;

/// <summary>
/// The service's own counters, in the meter "StatsApi", beside ASP.NET Core's, HttpClient's and Npgsql's.
/// Static, so any part of the service records with one call and no wiring; every meter provider that
/// listens to "StatsApi" (Prometheus, OTLP) sees them. Tag values are fixed words, never caller input.
/// </summary>
internal static class StatsApiMetrics
{
    public const string MeterName = "StatsApi";

    public const string ClientCredentials = "client_credentials";
    public const string PersonExchange = "person_exchange";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> TokensIssued = Meter.CreateCounter<long>(
        "statsapi.tokens.issued", "{token}", "Access tokens issued, by grant: client_credentials or person_exchange.");

    private static readonly Counter<long> AuthFailures = Meter.CreateCounter<long>(
        "statsapi.auth.failures", "{request}", "Requests answered 401 or 403, by status and error_code.");

    private static readonly Counter<long> RateLimitRejections = Meter.CreateCounter<long>(
        "statsapi.rate_limit.rejections", "{request}", "Requests answered 429, by the reason the limiter gives.");

    private static readonly Counter<long> RateLimitDecisions = Meter.CreateCounter<long>(
        "statsapi.rate_limit.decisions", "{request}", "Rate-limit decisions, by policy and outcome (permitted or rejected).");

    /// <summary>An access token was issued through <paramref name="grant"/>: <see cref="ClientCredentials"/> or <see cref="PersonExchange"/>.</summary>
    public static void TokenIssued(string grant) =>
        TokensIssued.Add(1, new KeyValuePair<string, object?>("grant", grant));

    /// <summary>A request was refused with 401 or 403; <paramref name="errorCode"/> is the error_code its body carries.</summary>
    public static void AuthFailed(int status, string errorCode) =>
        AuthFailures.Add(1, new KeyValuePair<string, object?>("status", status), new KeyValuePair<string, object?>("error_code", errorCode));

    /// <summary>A request was refused with 429 for <paramref name="reason"/> (such as "requests", "cost" or "token_address").</summary>
    public static void RateLimited(string reason) =>
        RateLimitRejections.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>The limiter decided on a request under <paramref name="policy"/> (a tier, or the token endpoint's).</summary>
    public static void RateLimitDecision(string policy, bool permitted) =>
        RateLimitDecisions.Add(1, new KeyValuePair<string, object?>("policy", policy),
            new KeyValuePair<string, object?>("outcome", permitted ? "permitted" : "rejected"));
}
