using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace StatsApi.Auth;

/// <summary>The token must carry this scope.</summary>
internal sealed record ScopeRequirement(string Scope) : IAuthorizationRequirement
{
    public const string FailureCode = "insufficient_scope";
}

internal sealed class ScopeHandler(IOptions<AuthOptions> auth) : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (Caller.Scopes(context.User, auth.Value).Contains(requirement.Scope))
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, ScopeRequirement.FailureCode));
        }
        return Task.CompletedTask;
    }
}
