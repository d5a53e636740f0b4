using Microsoft.AspNetCore.Authorization;

namespace StatsApi.Auth;

/// <summary>Where an operation names the school it touches: its route or its query string, as school_id.</summary>
internal enum SchoolSource { Route, Query }

/// <summary>Endpoint metadata: this operation touches exactly one school, named here.</summary>
internal sealed record SchoolScope(SchoolSource Source)
{
    public const string Parameter = "school_id";
}

/// <summary>
/// The one school the request named and the token is approved for, set by the school check. Handlers
/// bind this, never the raw request, so the school they act on is the school that was authorised.
/// </summary>
internal sealed record AuthorizedSchool(string Id)
{
    public static ValueTask<AuthorizedSchool?> BindAsync(HttpContext context) =>
        ValueTask.FromResult(context.Features.Get<AuthorizedSchool>());
}

/// <summary>The school an operation names must be one of the caller's approved schools.</summary>
internal sealed class SchoolAccessRequirement : IAuthorizationRequirement
{
    public const string FailureCode = "school_not_approved";
    public const string MissingCode = "school_missing";
    public const string AmbiguousCode = "school_ambiguous";
}

internal sealed class SchoolAccessHandler : AuthorizationHandler<SchoolAccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, SchoolAccessRequirement requirement)
    {
        var http = context.Resource as HttpContext;
        var scope = http?.GetEndpoint()?.Metadata.GetMetadata<SchoolScope>();
        if (http is null || scope is null)
        {
            // A school-scoped policy on an endpoint that does not say where its school is: refuse, never guess.
            context.Fail(new AuthorizationFailureReason(this, SchoolAccessRequirement.FailureCode));
            return Task.CompletedTask;
        }

        var named = NamedSchools(http, scope.Source);
        var approved = Caller.Schools(http);
        var failure = named.Count == 0 ? SchoolAccessRequirement.MissingCode
            : !named.All(approved.Contains) ? SchoolAccessRequirement.FailureCode
            : named.Distinct(StringComparer.Ordinal).Count() > 1 ? SchoolAccessRequirement.AmbiguousCode
            : null;
        if (failure is null)
        {
            http.Features.Set(new AuthorizedSchool(named[0]));
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, failure));
        }
        return Task.CompletedTask;
    }

    // Every value given, so a repeated school_id cannot slip an unapproved school past the check.
    private static List<string> NamedSchools(HttpContext http, SchoolSource source) => source switch
    {
        SchoolSource.Route => http.GetRouteValue(SchoolScope.Parameter) is string { Length: > 0 } fromRoute ? [fromRoute] : [],
        _ => http.Request.Query[SchoolScope.Parameter].Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToList(),
    };
}
