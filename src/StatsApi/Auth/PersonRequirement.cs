using Microsoft.AspNetCore.Authorization;

namespace StatsApi.Auth;

/// <summary>The operation is a person's own (their API tokens): the token must act for a person of one school.</summary>
internal sealed class PersonRequirement : IAuthorizationRequirement
{
    public const string FailureCode = "person_token_required";
}

internal sealed class PersonHandler : AuthorizationHandler<PersonRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, PersonRequirement requirement)
    {
        if (context.Resource is HttpContext http && Caller.PersonId(http.User) is not null && Caller.Schools(http).Count == 1)
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, PersonRequirement.FailureCode));
        }
        return Task.CompletedTask;
    }
}
