using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;
using StatsApi.Http;

namespace StatsApi.Auth;

/// <summary>Turns a refused authorization into a problem body that says which rule refused it.</summary>
internal sealed class ForbiddenResponses(IOptions<AuthOptions> auth) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (!authorizeResult.Forbidden)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        var reasons = authorizeResult.AuthorizationFailure?.FailureReasons.Select(r => r.Message).ToHashSet() ?? [];
        var missingScopes = policy.Requirements.OfType<ScopeRequirement>()
            .Where(r => !Caller.Scopes(context.User, auth.Value).Contains(r.Scope)).Select(r => r.Scope).ToList();
        IResult problem;
        if (missingScopes.Count > 0)
        {
            var scope = string.Join(' ', missingScopes);
            context.Response.Headers.WWWAuthenticate =
                $"{Challenges.Bearer}, error=\"insufficient_scope\", scope=\"{scope}\"";
            problem = Problems.Create(StatusCodes.Status403Forbidden, ScopeRequirement.FailureCode,
                "The token lacks a required scope.", $"This operation needs the scope '{scope}'.");
        }
        else if (reasons.Contains(PersonRequirement.FailureCode))
        {
            problem = Problems.Create(StatusCodes.Status403Forbidden, PersonRequirement.FailureCode, "This operation is a person's own.",
                "Use an access token that acts for a person: exchange their API token with the client's secret at POST /oauth/token.");
        }
        else if (reasons.Contains(SchoolAccessRequirement.MissingCode))
        {
            problem = Problems.Validation(SchoolScope.Parameter, "school_id is required: the school this operation touches.");
        }
        else if (reasons.Contains(SchoolAccessRequirement.AmbiguousCode))
        {
            problem = Problems.Validation(SchoolScope.Parameter, "school_id must name one school, once.");
        }
        else if (reasons.Contains(SchoolAccessRequirement.FailureCode))
        {
            await SchoolNotApproved.WriteAsync(context);
            return;
        }
        else
        {
            problem = Problems.Create(StatusCodes.Status403Forbidden, "forbidden", "Forbidden.", "The token does not permit this operation.");
        }
        await problem.ExecuteAsync(context);
    }

    private static readonly ProblemBody SchoolNotApproved = new(StatusCodes.Status403Forbidden, SchoolAccessRequirement.FailureCode,
        "The school is not approved for this client.",
        "The school_id in the request is not among the schools this token is approved for.");
}
