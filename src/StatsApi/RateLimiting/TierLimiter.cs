using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using StatsApi.Auth;
using StatsApi.Http;

namespace StatsApi.RateLimiting;

/// <summary>
/// Every operation that needs a token draws from two quotas of its caller's tier: one request, and the
/// operation's cost. It runs after authentication (the token names the tier and the caller) and before
/// authorization and the endpoint, so a refused request costs no database trip.
/// </summary>
internal sealed class TierLimiter(RequestDelegate next, QuotaStore quotas, IOptions<RateLimitOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null || !IsLimited(endpoint.Metadata) || context.User.Identity?.IsAuthenticated != true)
        {
            await next(context);
            return;
        }
        var settings = options.Value;
        var (tier, limit) = settings.LimitOf(context.User.FindFirst("tier")?.Value);
        var partition = Partition(context.User);
        var cost = OperationCosts.Of(endpoint);
        var states = await quotas.ApplyAsync(QuotaOperation.Take, settings.Window,
        [
            new QuotaDraw($"{{{partition}}}:{RateLimitHeaders.RequestsPolicy}", limit.Requests, 1),
            new QuotaDraw($"{{{partition}}}:{RateLimitHeaders.CostPolicy}", limit.Cost, cost),
        ]);
        var (requests, costs) = (states[0], states[1]);

        var policy = RateLimitHeaders.PolicyValue(limit, settings.WindowSeconds);
        var current = RateLimitHeaders.CurrentValue(requests, costs);
        // On starting, so that an error response written after a failure (which clears the headers) still has them.
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[RateLimitHeaders.Policy] = policy;
            context.Response.Headers[RateLimitHeaders.Current] = current;
            return Task.CompletedTask;
        });
        var permitted = !requests.Refused && !costs.Refused;
        Telemetry.StatsApiMetrics.RateLimitDecision(tier, permitted);
        if (permitted)
        {
            await next(context);
            return;
        }
        Telemetry.StatsApiMetrics.RateLimited(requests.Refused ? RateLimitHeaders.RequestsPolicy : RateLimitHeaders.CostPolicy);

        var wait = Math.Max(1, RateLimitHeaders.Seconds(requests.Refused && costs.Refused
            ? TimeSpan.FromTicks(Math.Max(requests.RetryAfter.Ticks, costs.RetryAfter.Ticks))
            : requests.Refused ? requests.RetryAfter : costs.RetryAfter));
        context.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
        var window = settings.WindowSeconds;
        var problem = requests.Refused
            ? new ProblemBody(StatusCodes.Status429TooManyRequests, "rate_limited", "Too many requests.",
                $"The {tier} tier allows {limit.Requests} requests in {window} seconds; retry after {wait} seconds.",
                $"The request quota is spent; retry after {wait} seconds (Retry-After). The RateLimit header says what is left, RateLimit-Policy the quotas.")
            : new ProblemBody(StatusCodes.Status429TooManyRequests, "quota_exceeded", "The cost quota is spent.",
                $"This operation costs {cost}, and {costs.Remaining} of the {tier} tier's {limit.Cost} in {window} seconds is left; retry after {wait} seconds.",
                $"The cost quota is spent; retry after {wait} seconds (Retry-After). Each operation's cost is x-rate-limit-cost in the OpenAPI document.");
        await problem.WriteAsync(context);
    }

    /// <summary>Operations that need a token; the token service, health and the documentation do not.</summary>
    public static bool IsLimited(IEnumerable<object> metadata) =>
        metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();

    // A client's quotas are its own; a person acting through a tool has quotas of their own within that client.
    internal static string Partition(ClaimsPrincipal user)
    {
        var client = Caller.ClientId(user) is { Length: > 0 } id ? id : "sub:" + user.FindFirst("sub")?.Value;
        return Caller.PersonId(user) is { } person ? FormattableString.Invariant($"{client}/{person}") : client;
    }
}
