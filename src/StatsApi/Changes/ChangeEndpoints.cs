using System.ComponentModel;
using System.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using StatsApi.Auth;
using Npgsql;
using StatsApi.Http;
using StatsApi.Privacy;
using StatsApi.RateLimiting;
using StatsApi.Standbys;

namespace StatsApi.Changes;

internal sealed class ChangeQuery
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    [FromQuery(Name = "after"), Description("The cursor of the previous page (or of /changes/available); from the oldest change held when left out.")]
    public string? After { get; init; }

    [FromQuery(Name = "types"), Description("Comma-separated: lessons, marks, enrolments, users, courses; every kind the token's scopes read when left out.")]
    public string? Types { get; init; }

    [FromQuery(Name = "limit"), Description("Changes read per page, 1 to 1000; 100 when left out.")]
    public int? Limit { get; init; }
}

/// <summary>A school's change feed: /v1/schools/{school_id}/changes (decision 0015).</summary>
internal static class ChangeEndpoints
{
    public static RouteGroupBuilder MapChanges(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapSchoolResource("changes", "Changes");
        group.MapGet("", ListAsync).ReadsOnStandby().WithCost(OperationCosts.ListPage)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status410Gone)
            .WithName("ListChanges").WithSummary("What changed in the school since a cursor")
            .WithDescription("Lessons, marks, enrolments, users and courses in commit order: an upsert carries the object as its GET answers it now, a delete its key and its parents' keys. "
                + "Each kind needs its resource's read scope (users:read for users; lessons:read, attendance:read, courses:read for the rest); a person's token sees what that person may read. "
                + "Continue with after=cursor of each page, also an empty one. A cursor older than the changes held (Changes:RetentionDays) answers 410 cursor_expired: resynchronise from the lists. "
                + "A malformed cursor, or one of another school, is 400.");
        group.MapGet("/available", AvailableAsync).ReadsOnStandby()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithName("AvailableChanges").WithSummary("The oldest and newest cursors held")
            .WithDescription("To start a copy: take newest, read the lists, then follow the feed from newest. Needs one of the scopes the feed's kinds need.");
        return group;
    }

    private static async Task<Results<Ok<ChangePage>, ValidationProblem, ProblemHttpResult>> ListAsync(
        HttpContext http, AuthorizedSchool school, ReadDataSource dataSource, NpgsqlDataSource primary, IOptions<ChangeOptions> options, [AsParameters] ChangeQuery query)
    {
        var errors = new Dictionary<string, string[]>();
        if (query.Limit is < 1 or > ChangeQuery.MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {ChangeQuery.MaxLimit}."];
        }
        ChangePosition? after = null;
        if (query.After is { } text)
        {
            if (!ChangePosition.TryDecode(text, out after))
            {
                errors["after"] = ["after is not a cursor of this feed; use the cursor of the previous page as it is."];
            }
            else if (after!.School != school.Id)
            {
                errors["after"] = ["after is a cursor of another school's feed."];
            }
        }
        var kinds = Kinds(http, query.Types, errors, out var refused);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        if (refused is not null)
        {
            return refused;
        }
        var limit = query.Limit ?? ChangeQuery.DefaultLimit;
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        // One snapshot for the horizon, the log and the objects (decision 0015).
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, http.RequestAborted);
        var pruned = await ChangeLog.PrunedAsync(connection, transaction, school.Id, http.RequestAborted);
        if (after is not null && after.CompareTo(pruned) < 0)
        {
            return Expired(options.Value.RetentionDays);
        }
        var from = after ?? pruned;
        var horizon = await ChangeLog.HorizonAsync(connection, transaction, school.Id, http.RequestAborted);
        var rows = await ChangeLog.ReadAsync(connection, transaction, from, horizon, kinds.Select(k => k.Object).ToArray(), limit + 1, http.RequestAborted);
        var more = rows.Count > limit;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        var changes = await new ChangeReader(http, connection, transaction, school.Id).ReadAsync(rows);
        // Recorded before the page is answered: one row per student whose data it carries (decision 0014).
        await Disclosures.RecordAsync(http, primary, school.Id, StudentsIn(changes), Disclosures.What.Changes);
        var cursor = (rows.Count > 0 ? new ChangePosition(school.Id, rows[^1].Txid, rows[^1].ChangeId) : from).Encode();
        var next = QueryHelpers.AddQueryString(http.Request.PathBase + http.Request.Path,
            QueryHelpers.ParseQuery(http.Request.QueryString.Value).Where(p => p.Key is not "after")
                .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v)))
                .Append(new("after", cursor)));
        return TypedResults.Ok(new ChangePage(changes, cursor, more, next));
    }

    // A mark's or an enrolment's data is its student's; a user's is the person's own, when a student. A delete carries keys alone.
    private static List<long> StudentsIn(IEnumerable<ChangeResponse> changes) =>
        changes.Where(change => change.Data is not null).Select(change => change.ObjectType switch
        {
            "mark" or "enrolment" when change.Key.TryGetProperty("student_id", out var student) => student.GetInt64(),
            "user" when change.Key.TryGetProperty("role", out var role) && role.GetString() == Roles.Student => change.Key.GetProperty("user_id").GetInt64(),
            _ => (long?)null,
        }).OfType<long>().Distinct().ToList();

    private static async Task<Results<Ok<AvailableChanges>, ProblemHttpResult>> AvailableAsync(
        HttpContext http, AuthorizedSchool school, ReadDataSource dataSource, IOptions<ChangeOptions> options)
    {
        var errors = new Dictionary<string, string[]>();
        Kinds(http, null, errors, out var refused);
        if (refused is not null)
        {
            return refused;
        }
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, http.RequestAborted);
        var pruned = await ChangeLog.PrunedAsync(connection, transaction, school.Id, http.RequestAborted);
        var horizon = await ChangeLog.HorizonAsync(connection, transaction, school.Id, http.RequestAborted);
        var newest = await ChangeLog.NewestAsync(connection, transaction, school.Id, horizon, http.RequestAborted) ?? pruned;
        return TypedResults.Ok(new AvailableChanges(pruned.Encode(), (newest.CompareTo(pruned) < 0 ? pruned : newest).Encode(), options.Value.RetentionDays));
    }

    // The kinds asked for (all the token may read when none), each needing its resource's read scope: one named without it is 403.
    private static List<ChangeKind> Kinds(HttpContext http, string? types, Dictionary<string, string[]> errors, out ProblemHttpResult? refused)
    {
        refused = null;
        var scopes = Caller.Scopes(http.User, http.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value);
        if (types is null)
        {
            var readable = ChangeKind.All.Where(k => scopes.Contains(k.Scope)).ToList();
            if (readable.Count == 0)
            {
                refused = InsufficientScope(http, string.Join(' ', ChangeKind.All.Select(k => k.Scope).Distinct()));
            }
            return readable;
        }
        var named = types.Split(',', StringSplitOptions.TrimEntries).ToList();
        var unknown = named.Where(n => ChangeKind.All.All(k => k.Type != n)).ToList();
        if (unknown.Count > 0 || named.Count == 0)
        {
            errors["types"] = [$"types must name kinds among {ChangeKind.Names}, separated by commas."];
            return [];
        }
        var kinds = ChangeKind.All.Where(k => named.Contains(k.Type)).ToList();
        if (kinds.FirstOrDefault(k => !scopes.Contains(k.Scope)) is { } missing)
        {
            refused = InsufficientScope(http, missing.Scope);
        }
        return kinds;
    }

    private static ProblemHttpResult InsufficientScope(HttpContext http, string scope)
    {
        http.Response.Headers.WWWAuthenticate = $"{Challenges.Bearer}, error=\"insufficient_scope\", scope=\"{scope}\"";
        return Problems.Create(StatusCodes.Status403Forbidden, ScopeRequirement.FailureCode,
            "The token lacks a required scope.", $"These changes need the scope '{scope}'.");
    }

    private static ProblemHttpResult Expired(int days) =>
        Problems.Create(StatusCodes.Status410Gone, "cursor_expired", "The cursor is older than the changes held.",
            $"Changes are kept {days} days and those after this cursor are gone: read the lists again, then follow the feed from the newest cursor of /changes/available.");
}
