using System.Globalization;
using StatsApi.PersonTokens;
using StatsApi.Writes;

namespace StatsApi.Admin;

// The commands about a school's people: listing them, and API tokens that act for one.
internal static partial class AdminCli
{
    private static (string School, long User, string Name) ApiTokenOwnerFrom(CommandLine line)
    {
        line.Allow("school", "user", "name");
        var user = long.TryParse(line.Required("user"), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : throw new UsageException("--user must be a user's id, a positive whole number.");
        var name = line.Required("name");
        return name.Length <= 100 ? (line.Required("school"), user, name) : throw new UsageException("--name is at most 100 characters.");
    }

    private static async Task<int> CreateApiTokenAsync(IServiceProvider services, CommandLine line, TextWriter output, TextWriter error)
    {
        var (school, user, name) = ApiTokenOwnerFrom(line);
        // The path an HTTP creation takes, audited as the command line's.
        var (active, created) = await services.GetRequiredService<SchoolWrites>().RunAsync(Actor.CommandLine(), school, async scope =>
        {
            var active = await Dapper.SqlMapper.ExecuteScalarAsync<bool?>(scope.Connection, new Dapper.CommandDefinition(
                "select active from users where school_id = @school and user_id = @user", new { school, user }, scope.Transaction, cancellationToken: scope.Cancellation));
            if (active is not true)
            {
                scope.ChangedNothing();
                return (active, null);
            }
            return (active, await ApiTokens.CreateAsync(scope, user, name));
        }, CancellationToken.None);
        if (created is null)
        {
            error.WriteLine(active switch
            {
                null => $"School '{school}' has no person {user}. 'users list --school {school}' lists its people and their ids.",
                false => $"Person {user} of school '{school}' is deactivated and can have no API token.",
                true => $"Person {user} of school '{school}' holds {ApiTokens.MaxPerPerson} API tokens, the most allowed; delete one first.",
            });
            return 1;
        }
        Write(output, line, new { token_id = created.TokenId, school_id = school, user_id = user, name, api_token = created.Token },
            $"""
            API token {created.TokenId} '{name}' for person {user} of {school}:
              {created.Token}
            Keep it now: it is stored only as a hash and cannot be shown again.
            """);
        return 0;
    }

    private static (string School, string? Role) UserFilterFrom(CommandLine line)
    {
        line.Allow("school", "role");
        var role = line.Option("role");
        return role is null or "teacher" or "student" or "admin"
            ? (line.Required("school"), role)
            : throw new UsageException("--role must be teacher, student or admin.");
    }

    private static async Task<int> ListUsersAsync(IServiceProvider services, CommandLine line, TextWriter output, TextWriter error)
    {
        var (school, role) = UserFilterFrom(line);
        var people = await PeopleOfASchool.ListAsync(services.GetRequiredService<Npgsql.NpgsqlDataSource>(), school, role);
        if (people is null)
        {
            error.WriteLine($"No school has the id '{school}'.");
            return 1;
        }
        var text = people.Count == 0
            ? $"School '{school}' has no {role ?? "person"} yet."
            : string.Join('\n', people.Select(p => $"{p.UserId}  {p.Role,-7}  {p.GivenName} {p.FamilyName}  {p.Email}{(p.Active ? "" : "  DEACTIVATED")}"));
        Write(output, line, people, text);
        return 0;
    }
}
