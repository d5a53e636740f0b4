using Dapper;
using Npgsql;

namespace StatsApi.Admin;

/// <summary>A person as 'users list' shows them: the id the other commands take, and enough to recognise them.</summary>
internal sealed record PersonRow(long UserId, string Role, string GivenName, string FamilyName, string? Email, bool Active);

/// <summary>The people of one school, for an administrator looking up the ids that 'api-tokens create' takes.</summary>
internal static class PeopleOfASchool
{
    /// <summary>Every person of the school in id order, of one role if named; null when there is no such school.</summary>
    public static async Task<List<PersonRow>?> ListAsync(NpgsqlDataSource dataSource, string school, string? role)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        if (!await connection.ExecuteScalarAsync<bool>("select exists (select 1 from schools where school_id = @school)", new { school }))
        {
            return null;
        }
        return (await connection.QueryAsync<PersonRow>("""
            select user_id, role, given_name, family_name, email, active
            from users
            where school_id = @school and (@role::text is null or role = @role)
            order by user_id
            """, new { school, role })).ToList();
    }
}
