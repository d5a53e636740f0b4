using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Http;
using StatsApi.Paging;
using StatsApi.RateLimiting;
using StatsApi.Tokens;
using StatsApi.Writes;

namespace StatsApi.Privacy;

/// <summary>
/// A school's answers to its data-protection requests about one person: erase them (privacy:write), export
/// everything held about them, and show to whom their data was disclosed (privacy:read). A school admin
/// holds both scopes; teachers and students neither (<see cref="PersonRoles"/>).
/// </summary>
internal static class PrivacyEndpoints
{
    public static RouteGroupBuilder MapPrivacy(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapSchoolResource("users/{user_id:long}", "Privacy");
        // Erasure is idempotent by itself (asked again, the first answer), so it takes no Idempotency-Key.
        group.MapPost("/erasure", EraseAsync).RequireScope(Scopes.PrivacyWrite)
            .WithName("ErasePerson").WithSummary("Erase a person's identity for good")
            .WithDescription("Names and e-mail are replaced by a placeholder, the person is deactivated, their API tokens deleted and every token issued for them revoked; their marks stay, anonymous, so every summary is unchanged. Afterwards the person answers 404 as one that never existed. Asked again, the same answer. The reason is one of a list and the reference a case number: the record of the erasure never names the person.");
        group.MapGet("/export", ExportAsync).RequireScope(Scopes.PrivacyRead).WithCost(OperationCosts.ListPage)
            .WithName("ExportPerson").WithSummary("Everything held about a person (GDPR Art. 15)")
            .WithDescription("Profile, enrolments, courses taught, marks, API tokens (never a secret), the audit events of their record and the record of disclosures, as one document. The export of a student is itself recorded as a disclosure.");
        group.MapGet("/disclosures", ListDisclosuresAsync).RequireScope(Scopes.PrivacyRead).WithCost(OperationCosts.ListPage)
            .WithName("ListDisclosures").WithSummary("To whom a student's data was disclosed (FERPA 99.32)")
            .WithDescription("One row per request and student that answered with the student's data (their profile, their marks, a summary of them, an export), oldest first: the client, the person it acted for, the request id, when and what.");
        return group;
    }

    private static async Task<Results<Written<Ok<ErasureResponse>>, ValidationProblem, ProblemHttpResult>> EraseAsync(
        HttpContext http, AuthorizedSchool school, SchoolWrites writes, [FromRoute(Name = "user_id")] long userId, ErasureRequest body)
    {
        if (InputRules.Refuses(body, out var refusal))
        {
            return refusal;
        }
        return await writes.RunAsync(http, school, body, async scope =>
        {
            return await Erasure.EraseAsync(scope, userId, body) is { } erased ? Written.Ok(http, erased) : UserNotFound(userId);
        });
    }

    private static async Task<Results<Ok<PersonExport>, ProblemHttpResult>> ExportAsync(
        HttpContext http, AuthorizedSchool school, NpgsqlDataSource dataSource, [FromRoute(Name = "user_id")] long userId)
    {
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        // Recorded before it is read, in one transaction: the document lists its own disclosure, and no export leaves unrecorded.
        await using var transaction = await connection.BeginTransactionAsync(http.RequestAborted);
        if (await IsStudentAsync(connection, school.Id, userId, http.RequestAborted))
        {
            await Disclosures.RecordAsync(connection, transaction, Actor.Of(http), school.Id, [userId], Disclosures.What.Export, http.RequestAborted);
        }
        var export = await ExportQuery.ReadAsync(connection, school.Id, userId, http.RequestAborted);
        if (export is null)
        {
            return UserNotFound(userId);
        }
        await transaction.CommitAsync(http.RequestAborted);
        return TypedResults.Ok(export);
    }

    private sealed record DisclosureKey(long DisclosureId);

    private static async Task<Results<Ok<Page<DisclosureResponse>>, ValidationProblem, ProblemHttpResult>> ListDisclosuresAsync(
        HttpContext http, AuthorizedSchool school, NpgsqlDataSource dataSource, [FromRoute(Name = "user_id")] long userId, [AsParameters] PageQuery query)
    {
        var errors = new Dictionary<string, string[]>();
        var after = query.Check<DisclosureKey>(errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        // From the primary: the record of a disclosure answered a moment ago is here already.
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from users where school_id = @school and user_id = @userId and erased_at is null)",
            new { school = school.Id, userId }, cancellationToken: http.RequestAborted)))
        {
            return UserNotFound(userId);
        }
        var rows = (await connection.QueryAsync<DisclosureResponse>(new CommandDefinition("""
            select disclosure_id, occurred_at, client_id, person_id, request_id, what
            from disclosures
            where school_id = @school and student_id = @userId and (@after::bigint is null or disclosure_id > @after)
            order by disclosure_id limit @limit
            """, new { school = school.Id, userId, after = after?.DisclosureId, limit = query.Size + 1 }, cancellationToken: http.RequestAborted))).ToList();
        return TypedResults.Ok(query.ToPage(http.Request, rows, r => new DisclosureKey(r.DisclosureId)));
    }

    private static Task<bool> IsStudentAsync(NpgsqlConnection connection, string school, long userId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from users where school_id = @school and user_id = @userId and role = 'student' and erased_at is null)",
            new { school, userId }, cancellationToken: cancellationToken));

    private static ProblemHttpResult UserNotFound(long userId) =>
        Problems.NotFound("user", $"The school has no user {userId}.");
}
