using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using StatsApi.Tokens;

namespace StatsApi.RateLimiting;

/// <summary>Marks the token endpoints, whose failed attempts are limited.</summary>
internal sealed class FailedAttemptsLimited;

/// <summary>A token request that failed on its credentials; the client id whose secret it guessed, when it named one.</summary>
internal sealed record FailedTokenRequest(string? ClientId);

internal static class FailedTokenRequests
{
    public static TBuilder LimitFailedAttempts<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new FailedAttemptsLimited());

    /// <summary>The token endpoints call this when a request fails on its credentials: invalid_client or invalid_grant.</summary>
    public static void Record(HttpContext http, string? clientId) => http.Features.Set(new FailedTokenRequest(clientId));
}

/// <summary>
/// Against secret guessing at the token endpoints, failures are limited, never successes: an address
/// (an IPv6 /64) with too many failures in the window is refused until they age out. Failures against
/// one client id from many addresses cannot lock that client out: past its limit, each address that
/// fails against it again is refused for a window, while an address that does not fail (the real
/// client's) still gets tokens.
/// </summary>
internal sealed class FailedTokenRequestLimiter(RequestDelegate next, QuotaStore quotas, IOptions<RateLimitOptions> options)
{
    /// <summary>The policy and the reason the metrics name this limiter's decisions and refusals by.</summary>
    public const string TokenEndpointPolicy = "token_endpoint";

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<FailedAttemptsLimited>() is null)
        {
            await next(context);
            return;
        }
        var settings = options.Value;
        var address = new QuotaDraw($"{{address:{AddressOf(context.Connection.RemoteIpAddress)}}}:failures", settings.TokenEndpoint.FailuresPerAddress, 1);

        // Each attempt is counted as a failure before its credentials are checked, and given back unless it
        // fails: parallel guesses cannot overshoot the limit, and successes leave nothing behind.
        var admitted = (await quotas.ApplyAsync(QuotaOperation.Take, settings.Window, [address]))[0];
        Telemetry.StatsApiMetrics.RateLimitDecision(TokenEndpointPolicy, !admitted.Refused);
        if (admitted.Refused)
        {
            Telemetry.StatsApiMetrics.RateLimited(TokenEndpointPolicy);
            await RefuseAsync(context, admitted.RetryAfter);
            return;
        }
        FailedTokenRequest? failed = null;
        try
        {
            await next(context);
            failed = context.Features.Get<FailedTokenRequest>();
        }
        finally
        {
            if (failed is null)
            {
                await quotas.ApplyAsync(QuotaOperation.Refund, settings.Window, [address]);
            }
            else if (failed.ClientId is { } clientId && ClientSecrets.IsClientIdShaped(clientId))
            {
                var client = new QuotaDraw($"{{client:{clientId}}}:failures", settings.TokenEndpoint.FailuresPerClient, 1);
                if ((await quotas.ApplyAsync(QuotaOperation.Take, settings.Window, [client]))[0].Refused)
                {
                    await quotas.ApplyAsync(QuotaOperation.Block, settings.Window, [address]);
                }
            }
        }
    }

    private static async Task RefuseAsync(HttpContext context, TimeSpan retryAfter)
    {
        var wait = Math.Max(1, RateLimitHeaders.Seconds(retryAfter));
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        context.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
        await SlowDown(wait).Answer(context).ExecuteAsync(context);
    }

    // slow_down: the token endpoint's registered error (RFC 8628 section 3.5) for "back off, then retry".
    internal static OAuthFailure SlowDown(long wait) => new(StatusCodes.Status429TooManyRequests, "slow_down",
        $"Too many failed token requests from this address; retry after {wait} seconds.");

    /// <summary>The address failures are counted under: IPv4 as is, IPv6 by its /64, which one subscriber usually holds whole.</summary>
    public static string AddressOf(IPAddress? address)
    {
        if (address is null)
        {
            return "none";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
