using Microsoft.AspNetCore.Authorization;

namespace StatsApi.Auth;

/// <summary>The school an operation names must be one of the caller's approved schools.</summary>
public sealed class SchoolAccessRequirement : IAuthorizationRequirement
{
    public const string FailureCode = "school_not_approved";
}

public sealed class SchoolAccessHandler : AuthorizationHandler<SchoolAccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, SchoolAccessRequirement requirement)
    {
        if (context.Resource is not HttpContext http)
        {
            context.Fail(new AuthorizationFailureReason(this, SchoolAccessRequirement.FailureCode));
            return Task.CompletedTask;
        }

        var requested = RequestedSchools(http);
        var approved = Caller.Schools(http);
        if (requested.All(approved.Contains))
        {
            // No school named: the endpoint itself rejects the request as incomplete.
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, SchoolAccessRequirement.FailureCode));
        }
        return Task.CompletedTask;
    }

    /// <summary>Every school id the request names, in its route and its query.</summary>
    private static List<string> RequestedSchools(HttpContext http)
    {
        // An empty value names no school; the endpoint answers that with a 400 naming the field.
        var schools = http.Request.Query["school_id"].Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToList();
        if (http.GetRouteValue("school_id") is string fromRoute)
        {
            schools.Add(fromRoute);
        }
        return schools;
    }
}
