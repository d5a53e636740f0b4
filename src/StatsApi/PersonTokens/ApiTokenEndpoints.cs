using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Npgsql;
using StatsApi.Docs;
using StatsApi.Auth;
using StatsApi.Http;
using StatsApi.Tokens;
using StatsApi.Users;
using StatsApi.Writes;

namespace StatsApi.PersonTokens;

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"name":"Gradebook sync"}""")]
internal sealed record NewApiTokenRequest
{
    [Required, Text(100, ErrorMessage = "name is required: 1 to 100 characters that say where the token is used, e.g. 'Gradebook sync'.")]
    public string? Name { get; init; }
}

[Example($$"""{"data":[{"token_id":1,"user_id":2,"name":"Gradebook sync","prefix":"sta_Xk3pQ9","created_at":"{{ExampleValues.Instant}}","last_used_at":"2026-09-07T08:49:12Z"}]}""")]
internal sealed record ApiTokenList(IReadOnlyList<ApiTokenResponse> Data);

/// <summary>
/// A person's API tokens: their own at /v1/me/api-tokens (with a token that acts for them), or anyone's
/// of a school at /v1/schools/{school_id}/users/{user_id}/api-tokens (users:write, a school admin or an
/// administering application), which is how a person gets a first one.
/// </summary>
internal static class ApiTokenEndpoints
{
    public static IEndpointRouteBuilder MapApiTokens(this IEndpointRouteBuilder routes)
    {
        var me = routes.MapGroup("/v1/me/api-tokens").WithTags("API tokens")
            .RequireAuthorization(policy => policy.RequireAuthenticatedUser().AddRequirements(new PersonRequirement()));
        Map(me, "My", "the caller's own", (http, _) => Me(http));

        var admin = routes.MapSchoolResource("users/{user_id:long}/api-tokens", "API tokens").RequireScope(Scopes.UsersWrite)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // The handlers read the person from the route through owner(), so the contract states the parameter here.
                operation.Parameters ??= [];
                operation.Parameters.Insert(1, new OpenApiParameter
                {
                    Name = "user_id",
                    In = ParameterLocation.Path,
                    Required = true,
                    Description = "The person whose API tokens these are.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" },
                });
                return Task.CompletedTask;
            });
        Map(admin, "Users", "a person's", (http, school) =>
            (school!.Id, long.Parse((string)http.GetRouteValue("user_id")!, System.Globalization.CultureInfo.InvariantCulture)));
        return routes;
    }

    private static (string School, long UserId) Me(HttpContext http) =>
        (Caller.Schools(http).Single(), Caller.PersonId(http.User)!.Value);

    private static void Map(RouteGroupBuilder group, string prefix, string whose, Func<HttpContext, AuthorizedSchool?, (string School, long UserId)> owner)
    {
        group.MapGet("", (HttpContext http, NpgsqlDataSource dataSource) =>
                ListAsync(http, dataSource, owner(http, http.Features.Get<AuthorizedSchool>())))
            .WithName($"List{prefix}ApiTokens").WithSummary($"List {whose} API tokens")
            .WithDescription("Each token's name, its first characters and when it was made and last used; never the token.");
        group.MapPost("", (HttpContext http, SchoolWrites writes, NewApiTokenRequest body) =>
                CreateAsync(http, writes, owner(http, http.Features.Get<AuthorizedSchool>()), body, replacing: null))
            .WithIdempotencyKey()
            .WithName($"Create{prefix}ApiToken").WithSummary($"Create one of {whose} API tokens")
            .WithDescription($"The token is in the answer, once: it is stored only as a hash. A person holds at most {ApiTokens.MaxPerPerson}. Exchange it with a client's secret at POST /oauth/token for an access token that acts as the person.");
        group.MapPost("/{token_id:long}/regenerate", (HttpContext http, SchoolWrites writes, [FromRoute(Name = "token_id")] long tokenId) =>
                CreateAsync(http, writes, owner(http, http.Features.Get<AuthorizedSchool>()), null, replacing: tokenId))
            .WithIdempotencyKey()
            .WithName($"Regenerate{prefix}ApiToken").WithSummary($"Replace one of {whose} API tokens")
            .WithDescription("A new token under the same name; the old one, and every access token exchanged for it, stop working.");
        group.MapDelete("/{token_id:long}", (HttpContext http, SchoolWrites writes, [FromRoute(Name = "token_id")] long tokenId) =>
                DeleteAsync(http, writes, owner(http, http.Features.Get<AuthorizedSchool>()), tokenId))
            .WithName($"Delete{prefix}ApiToken").WithSummary($"Delete one of {whose} API tokens")
            .WithDescription("The token, and every access token exchanged for it, stop working.");
    }

    private static async Task<Results<Ok<ApiTokenList>, ProblemHttpResult>> ListAsync(HttpContext http, NpgsqlDataSource dataSource, (string School, long UserId) owner)
    {
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        if (await People.FindAsync(connection, null, owner.School, owner.UserId, http.RequestAborted) is null)
        {
            return Problems.NotFound("user", $"The school has no user {owner.UserId}.");
        }
        return TypedResults.Ok(new ApiTokenList(await ApiTokens.ListAsync(connection, owner.School, owner.UserId, http.RequestAborted)));
    }

    private static async Task<Results<Written<Created<CreatedApiToken>>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        HttpContext http, SchoolWrites writes, (string School, long UserId) owner, NewApiTokenRequest? body, long? replacing)
    {
        if (body is not null && InputRules.Refuses(body, out var refusal))
        {
            return refusal;
        }
        return await writes.RunAsync(http, new AuthorizedSchool(owner.School), (body, replacing), async scope =>
        {
            if (await People.FindAsync(scope.Connection, scope.Transaction, owner.School, owner.UserId, scope.Cancellation) is null)
            {
                return Problems.NotFound("user", $"The school has no user {owner.UserId}.");
            }
            if (replacing is { } old)
            {
                return await ApiTokens.RegenerateAsync(scope, owner.UserId, old) is { } regenerated ? Written.Created(http, regenerated) : TokenNotFound(old);
            }
            return await ApiTokens.CreateAsync(scope, owner.UserId, body!.Name!.Trim()) is { } created
                ? Written.Created(http, created)
                : Problems.Conflict("too_many_api_tokens", "name", $"A person holds at most {ApiTokens.MaxPerPerson} API tokens: delete one first.");
        }, answerHoldsSecret: true);
    }

    private static async Task<Results<Written<NoContent>, ValidationProblem, ProblemHttpResult>> DeleteAsync(
        HttpContext http, SchoolWrites writes, (string School, long UserId) owner, long tokenId)
    {
        return await writes.RunAsync(http, new AuthorizedSchool(owner.School), tokenId, async scope =>
        {
            if (!await ApiTokens.DeleteAsync(scope, owner.UserId, tokenId))
            {
                return TokenNotFound(tokenId);
            }
            return Written.NoContent();
        });
    }

    private static ProblemHttpResult TokenNotFound(long tokenId) => Problems.NotFound("api_token", $"The person has no API token {tokenId}.");
}
