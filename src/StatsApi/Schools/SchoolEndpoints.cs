using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using StatsApi.Auth;
using StatsApi.Http;
using StatsApi.Paging;
using StatsApi.RateLimiting;
using StatsApi.Standbys;
using StatsApi.Tokens;

namespace StatsApi.Schools;

[Example($$"""{"school_id":"oakwood-primary","name":"Oakwood Primary School","time_zone":"Europe/London","created_at":"{{ExampleValues.Instant}}"}""", NextPagePath = "/v1/schools", NextPageKey = """{"SchoolId":"oakwood-primary"}""")]
internal sealed record SchoolResponse(string SchoolId, string Name, string TimeZone, DateTime CreatedAt);

internal static class SchoolEndpoints
{
    private const string Columns = "school_id, name, time_zone, created_at";

    public static IEndpointRouteBuilder MapSchools(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(SchoolRoutes.Base, ListAsync).ReadsOnStandby()
            .WithCost(OperationCosts.ListPage)
            .WithTags("Schools").RequireScope(Scopes.SchoolsRead)
            .WithName("ListSchools")
            .WithSummary("The schools this token is approved for")
            .WithDescription("Lists only the schools in the token's schools claim, in id order.");
        routes.MapGet($"{SchoolRoutes.Base}/{{school_id}}", GetAsync).ReadsOnStandby()
            .WithTags("Schools").RequireScope(Scopes.SchoolsRead).RequireSchool(SchoolSource.Route)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("GetSchool")
            .WithSummary("One school")
            .WithDescription("Its name and time zone: the summary's days are the school's days.");
        return routes;
    }

    private sealed record SchoolKey(string SchoolId);

    private static async Task<Results<Ok<Page<SchoolResponse>>, ValidationProblem>> ListAsync(
        HttpContext http, ReadDataSource dataSource, [AsParameters] PageQuery page)
    {
        var errors = new Dictionary<string, string[]>();
        var after = page.Check<SchoolKey>(errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var approved = Caller.Schools(http).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        var rows = (await connection.QueryAsync<SchoolResponse>(new CommandDefinition($"""
            select {Columns} from schools
            where school_id = any(@approved) and (@after::text is null or school_id > @after)
            order by school_id limit @limit
            """, new { approved, after = after?.SchoolId, limit = page.Size + 1 }, cancellationToken: http.RequestAborted))).ToList();
        return TypedResults.Ok(page.ToPage(http.Request, rows, r => new SchoolKey(r.SchoolId)));
    }

    private static async Task<Results<Ok<SchoolResponse>, ProblemHttpResult>> GetAsync(
        AuthorizedSchool school, ReadDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var found = await connection.QuerySingleOrDefaultAsync<SchoolResponse>(new CommandDefinition(
            $"select {Columns} from schools where school_id = @Id", school, cancellationToken: cancellationToken));
        return found is null ? Problems.NotFound("school", $"No school has the id '{school.Id}'.") : TypedResults.Ok(found);
    }
}
