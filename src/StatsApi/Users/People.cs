using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using StatsApi.Http;
using StatsApi.Writes;

namespace StatsApi.Users;

/// <summary>
/// People as other features find them: by id within a school, and whether an id a request names has the role the operation needs.
/// An erased person (decision 0014) is found by neither: they answer as one that never existed.
/// </summary>
internal static class People
{
    internal const string Columns = "user_id, school_id, role, given_name, family_name, email, active, created_at, updated_at, version";

    public static async Task<UserResponse?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string school, long userId,
        CancellationToken cancellationToken, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<UserResponse>(new CommandDefinition(
            $"select {Columns} from users where school_id = @school and user_id = @userId and erased_at is null {(forUpdate ? "for update" : "")}",
            new { school, userId }, transaction, cancellationToken: cancellationToken));

    private sealed record Person(string Role, bool Active);

    /// <summary>Why a write may not name this person (404 for an id not of this school, 422 for another role or a deactivated person), naming the field; null when it may.</summary>
    public static async Task<ProblemHttpResult?> RefusalAsync(WriteScope scope, long userId, string role, string field)
    {
        var found = await scope.Connection.QuerySingleOrDefaultAsync<Person>(new CommandDefinition(
            "select role, active from users where school_id = @School and user_id = @userId and erased_at is null for share",
            new { scope.School, userId }, scope.Transaction, cancellationToken: scope.Cancellation));
        return found switch
        {
            null => Problems.NotFound(role, field, $"The school has no {role} {userId}."),
            { Role: var r } when r != role => Problems.Unprocessable($"not_a_{role}", field, $"User {userId} is a {r}, not a {role}."),
            { Active: false } => Problems.Unprocessable("user_deactivated", field, $"User {userId} is deactivated."),
            _ => null,
        };
    }
}
