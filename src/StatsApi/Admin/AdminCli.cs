using System.Globalization;
using System.Text.Json;
using StatsApi.Clients;
using StatsApi.Data;
using StatsApi.Demo;
using StatsApi.Tokens;
using StatsApi.PersonTokens;
using StatsApi.Portal;
using StatsApi.Writes;

namespace StatsApi.Admin;

/// <summary>
/// The service's executable is also its admin tool. Commands read the same configuration as the
/// server (appsettings and environment variables) and exit non-zero on failure.
/// </summary>
internal static class AdminCli
{
    private static readonly JsonSerializerOptions JsonOutput = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // Read by people and scripts, never embedded in HTML: "Teachers' tool" stays as typed, not \u0027.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly Dictionary<string, string> Usage = new(StringComparer.Ordinal)
    {
        ["migrate"] = "migrate [--json]\n  Applies the pending database migrations.",
        ["seed"] = "seed [--seed N] [--schools N] [--students-per-school N] [--term-start YYYY-MM-DD] [--weeks N] [--json]\n  Loads the demo schools (oakwood-primary, ravenscroft-high, lakeside-academy, ...) once; a second run changes nothing.",
        ["clients create"] = "clients create --name NAME --tier free|standard|premium --schools ID[,ID...] --scopes SCOPE[,SCOPE...] [--json]\n  Registers an API client and prints its id and secret. The secret is shown only this once.",
        ["clients list"] = "clients list [--json]\n  Lists the registered clients (never their secrets).",
        ["clients rotate-secret"] = "clients rotate-secret CLIENT_ID [--json]\n  Replaces a client's secret; the old one stops working at once.",
        ["clients revoke"] = "clients revoke CLIENT_ID [--json]\n  Revokes a client: it can get no new token, and the tokens it holds stop working on every instance within Auth:RevocationRefreshSeconds (15 seconds by default).",
        ["users list"] = "users list --school SCHOOL_ID [--role teacher|student|admin] [--json]\n  Lists the people of a school with their ids, roles and names, for the commands that take --user.",
        ["api-tokens create"] = "api-tokens create --school SCHOOL_ID --user USER_ID --name NAME [--json]\n  Makes an API token for a person of the school and prints it, shown only this once; a teachers' tool exchanges it with its client secret for a token that acts as the person.",
        ["portal admins add"] = "portal admins add EMAIL [--json]\n  Makes the developer portal account of this address a platform administrator, who reviews access requests at /portal/admin. With no account yet, one is made and its password printed, shown only this once.",
        ["portal admins list"] = "portal admins list [--json]\n  Lists the developer portal's platform administrators.",
        ["keys rotate"] = "keys rotate [--json]\n  Makes the next token signing key: published at once, signing after Tokens:KeyActivationDelaySeconds (10 minutes); the key before stays published for the tokens it signed.",
    };

    private static readonly HashSet<string> Valued = new(StringComparer.Ordinal)
    {
        "school", "user", "role",
        "name", "tier", "schools", "scopes", "seed", "students-per-school", "term-start", "weeks",
    };

    /// <summary>
    /// Serving takes no command, only settings in ASP.NET Core's command-line form (--urls=https://+:8443,
    /// --Section:Key=value), the form in which an in-process test host hands over its configuration too.
    /// Any other argument makes the executable the admin tool, so a typo or a stray flag is a usage error,
    /// never a server.
    /// </summary>
    public static bool IsCommand(string[] args) => !args.All(IsSetting);

    private static bool IsSetting(string arg) =>
        arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=', StringComparison.Ordinal) > 2;

    /// <summary>Help and usage errors are answered before anything needs configuration or a database.</summary>
    public static int? TryAnswerWithoutServices(string[] args, TextWriter output, TextWriter error)
    {
        if (args[0] is "help" or "--help" or "-h")
        {
            output.WriteLine("Usage: StatsApi [options] [command]\n\nWithout a command, serves the API. Options are ASP.NET Core's own, before any command: " +
                "--urls URL[;URL], --environment NAME, --contentRoot DIR, and any setting as --Section:Key=value or --Section:Key value.\n" +
                "Exit codes: 0 done, 1 failed (said in one line), 2 called wrongly.\n\nCommands:");
            WriteUsages(output, Usage.Values);
            return 0;
        }
        var name = CommandName(args);
        if (name is null)
        {
            return AnswerGroupOrUnknown(args, output, error);
        }
        if (args.Contains("--help") || args.Contains("-h"))
        {
            output.WriteLine("Usage: StatsApi " + Usage[name]);
            return 0;
        }
        try
        {
            // Bad arguments are answered before configuration or the database could fail for another reason.
            CheckArguments(name, Parse(name, args));
        }
        catch (UsageException ex)
        {
            error.WriteLine($"{ex.Message}\nUsage: StatsApi {Usage[name]}");
            return 2;
        }
        return null;
    }

    /// <summary>'clients' and 'keys' name groups of commands: with --help they list them; anything else is unknown.</summary>
    private static int AnswerGroupOrUnknown(string[] args, TextWriter output, TextWriter error)
    {
        var group = Usage.Where(u => u.Key.StartsWith(args[0] + " ", StringComparison.Ordinal)).Select(u => u.Value).ToList();
        if (group.Count == 0)
        {
            error.WriteLine($"Unknown command '{args[0]}'.{DidYouMean(args[0], Usage.Keys.Select(k => k.Split(' ')[0]).Append("help"))} Run 'StatsApi help' for the list.");
            return 2;
        }
        var asked = args.Length == 2 && args[1] is "--help" or "-h";
        if (!asked)
        {
            error.WriteLine(args.Length == 1
                ? $"'{args[0]}' needs a command."
                : $"Unknown command '{args[0]} {args[1]}'.{DidYouMean($"{args[0]} {args[1]}", Usage.Keys)}");
        }
        var writer = asked ? output : error;
        writer.WriteLine($"Usage: StatsApi {args[0]} <command>\n\nCommands:");
        WriteUsages(writer, group);
        return asked ? 0 : 2;
    }

    private static string DidYouMean(string word, IEnumerable<string> commands) =>
        Suggestions.Closest(word, commands.Distinct()) is { } meant ? $" Did you mean '{meant}'?" : "";

    private static void WriteUsages(TextWriter writer, IEnumerable<string> usages)
    {
        foreach (var usage in usages)
        {
            writer.WriteLine("  " + usage.Replace("\n", "\n  ", StringComparison.Ordinal));
        }
    }

    private static CommandLine Parse(string name, string[] args) =>
        CommandLine.Parse(args.Skip(name.Count(c => c == ' ') + 1), Valued);

    private static void CheckArguments(string name, CommandLine line)
    {
        switch (name)
        {
            case "seed":
                SeedOptionsFrom(line);
                break;
            case "clients create":
                NewClientFrom(line);
                break;
            case "api-tokens create":
                ApiTokenOwnerFrom(line);
                break;
            case "users list":
                UserFilterFrom(line);
                break;
            case "clients rotate-secret" or "clients revoke":
                SingleClientId(line);
                break;
            case "portal admins add":
                AdminEmail(line);
                break;
            default:
                line.Allow();
                break;
        }
    }

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, TextWriter error)
    {
        var name = CommandName(args)!;
        try
        {
            var line = Parse(name, args);
            CheckArguments(name, line);
            using var scope = services.CreateScope();
            var provider = scope.ServiceProvider;
            return name switch
            {
                "migrate" => await MigrateAsync(provider, line, output),
                "seed" => await SeedAsync(provider, line, output, error),
                "clients create" => await CreateClientAsync(provider, line, output, error),
                "clients list" => await ListClientsAsync(provider, line, output),
                "clients rotate-secret" => await RotateSecretAsync(provider, line, output, error),
                "clients revoke" => await RevokeAsync(provider, line, output, error),
                "keys rotate" => await RotateKeyAsync(provider, line, output),
                "api-tokens create" => await CreateApiTokenAsync(provider, line, output, error),
                "users list" => await ListUsersAsync(provider, line, output, error),
                "portal admins add" => await AddPortalAdminAsync(provider, line, output),
                "portal admins list" => await ListPortalAdminsAsync(provider, line, output),
                _ => 2,
            };
        }
        catch (UsageException ex)
        {
            error.WriteLine($"{ex.Message}\nUsage: StatsApi {Usage[name]}");
            return 2;
        }
        catch (Npgsql.NpgsqlException ex)
        {
            error.WriteLine($"Database error: {ex.Message}");
            return 1;
        }
    }

    private static string? CommandName(string[] args)
    {
        var three = args.Length > 2 ? $"{args[0]} {args[1]} {args[2]}" : null;
        var two = args.Length > 1 ? $"{args[0]} {args[1]}" : null;
        return three is not null && Usage.ContainsKey(three) ? three
            : two is not null && Usage.ContainsKey(two) ? two
            : Usage.ContainsKey(args[0]) ? args[0] : null;
    }

    private static async Task<int> MigrateAsync(IServiceProvider services, CommandLine line, TextWriter output)
    {
        var applied = await services.GetRequiredService<Migrator>().ApplyAsync();
        Write(output, line, new { applied }, applied.Count == 0
            ? "The database is up to date."
            : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}.");
        return 0;
    }

    private static DemoDataOptions SeedOptionsFrom(CommandLine line)
    {
        line.Allow("seed", "schools", "students-per-school", "term-start", "weeks");
        var defaults = new DemoDataOptions();
        var options = new DemoDataOptions
        {
            Seed = Int(line, "seed") ?? defaults.Seed,
            Schools = Int(line, "schools") ?? defaults.Schools,
            StudentsPerSchool = Int(line, "students-per-school") ?? defaults.StudentsPerSchool,
            TermStart = line.Option("term-start") is { } start
                ? DateOnly.TryParseExact(start, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                    ? date
                    : throw new UsageException("--term-start must be a date such as 2026-09-01.")
                : defaults.TermStart,
            Weeks = Int(line, "weeks") ?? defaults.Weeks,
        };
        var invalid = options.Validate();
        return invalid.Count == 0 ? options : throw new UsageException(string.Join(" ", invalid.Values));
    }

    private static async Task<int> SeedAsync(IServiceProvider services, CommandLine line, TextWriter output, TextWriter error)
    {
        var options = SeedOptionsFrom(line);
        await services.GetRequiredService<Migrator>().ApplyAsync();
        var result = await ActivatorUtilities.CreateInstance<DemoData>(services).SeedAsync(options);
        Write(output, line, result, result.Skipped
            ? $"The demo schools exist already; nothing was changed ({result.AttendanceRecords} attendance records)."
            : $"Loaded {result.Schools} schools: {result.Users} users, {result.Courses} courses, {result.Lessons} lessons, {result.AttendanceRecords} attendance records.");
        return 0;
    }

    private static NewClient NewClientFrom(CommandLine line)
    {
        line.Allow("name", "tier", "schools", "scopes");
        return new NewClient(line.Required("name"), line.Required("tier"), line.List("schools"), line.List("scopes"));
    }

    private static async Task<int> CreateClientAsync(IServiceProvider services, CommandLine line, TextWriter output, TextWriter error)
    {
        var clients = services.GetRequiredService<ApiClients>();
        var request = NewClientFrom(line);
        var errors = await clients.ValidateAsync(request);
        if (errors.Count > 0)
        {
            throw new UsageException(string.Join(" ", errors.Select(e => $"--{e.Key}: {string.Join(" ", e.Value)}")));
        }
        var created = await clients.CreateAsync(request);
        WriteCredentials(output, line, created, "Created client");
        return 0;
    }

    private static async Task<int> ListClientsAsync(IServiceProvider services, CommandLine line, TextWriter output)
    {
        var clients = await services.GetRequiredService<ApiClients>().ListAsync();
        var text = clients.Count == 0
            ? "No clients are registered."
            : string.Join('\n', clients.Select(c =>
                $"{c.ClientId}  {c.Name}  tier={c.Tier}  schools={string.Join(',', c.Schools)}  scopes={string.Join(',', c.Scopes)}{(c.RevokedAt is null ? "" : "  REVOKED")}"));
        Write(output, line, clients, text);
        return 0;
    }

    private static async Task<int> RotateSecretAsync(IServiceProvider services, CommandLine line, TextWriter output, TextWriter error)
    {
        var clientId = SingleClientId(line);
        var rotated = await services.GetRequiredService<ApiClients>().RotateSecretAsync(clientId);
        if (rotated is null)
        {
            error.WriteLine($"No active client has the id '{clientId}'.");
            return 1;
        }
        WriteCredentials(output, line, rotated, "New secret for client");
        return 0;
    }

    private static async Task<int> RevokeAsync(IServiceProvider services, CommandLine line, TextWriter output, TextWriter error)
    {
        var clientId = SingleClientId(line);
        var revoked = await services.GetRequiredService<ApiClients>().RevokeAsync(clientId);
        if (revoked is null)
        {
            error.WriteLine($"No client has the id '{clientId}'.");
            return 1;
        }
        var bound = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Auth.AuthOptions>>().Value.RevocationRefreshSeconds;
        Write(output, line, revoked, $"Revoked client {revoked.ClientId} ({revoked.Name}): it gets no new token, and its tokens stop working within {bound} seconds (Auth:RevocationRefreshSeconds).");
        return 0;
    }

    private static async Task<int> RotateKeyAsync(IServiceProvider services, CommandLine line, TextWriter output)
    {
        var key = await services.GetRequiredService<SigningKeys>().RotateAsync();
        Write(output, line, new { kid = key.Kid, algorithm = key.Algorithm, created_at = key.CreatedAt },
            $"New signing key {key.Kid} ({key.Algorithm}) is published now and signs once every validator can know it (Tokens:KeyActivationDelaySeconds).");
        return 0;
    }

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

    private static string SingleClientId(CommandLine line)
    {
        line.Allow();
        return line.Positional.Count == 1 ? line.Positional[0] : throw new UsageException("Name exactly one CLIENT_ID.");
    }

    private static string AdminEmail(CommandLine line)
    {
        line.Allow();
        if (line.Positional.Count != 1)
        {
            throw new UsageException("Name exactly one EMAIL.");
        }
        return DeveloperAccounts.EmailProblem(line.Positional[0]) is { } problem ? throw new UsageException($"EMAIL: {problem}") : line.Positional[0];
    }

    private static async Task<int> AddPortalAdminAsync(IServiceProvider services, CommandLine line, TextWriter output)
    {
        var (account, password) = await services.GetRequiredService<DeveloperAccounts>().MakePlatformAdminAsync(AdminEmail(line));
        Write(output, line, new { email = account.Email, password, portal = PortalServices.Path + "/admin" }, password is null
            ? $"{account.Email} is a platform administrator: sign in at {PortalServices.Path}/admin to review access requests."
            : $"Made the account {account.Email}, a platform administrator.\nPassword (shown only this once): {password}\nSign in at {PortalServices.Path}/sign-in; requests to review are at {PortalServices.Path}/admin.");
        return 0;
    }

    private static async Task<int> ListPortalAdminsAsync(IServiceProvider services, CommandLine line, TextWriter output)
    {
        var admins = await services.GetRequiredService<DeveloperAccounts>().PlatformAdminsAsync();
        Write(output, line, admins.Select(a => new { email = a.Email, created_at = a.CreatedAt }),
            admins.Count == 0 ? "No platform administrator: add one with 'portal admins add EMAIL'." : string.Join('\n', admins.Select(a => a.Email)));
        return 0;
    }

    private static int? Int(CommandLine line, string name) =>
        line.Option(name) is not { } value ? null
        : int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number
        : throw new UsageException($"--{name} must be a whole number.");

    private static void WriteCredentials(TextWriter output, CommandLine line, ClientCredentials credentials, string heading)
    {
        var c = credentials.Client;
        Write(output, line,
            new { client_id = c.ClientId, client_secret = credentials.ClientSecret, name = c.Name, tier = c.Tier, schools = c.Schools, scopes = c.Scopes },
            $"""
            {heading} '{c.Name}' (tier {c.Tier}; schools {string.Join(", ", c.Schools)}; scopes {string.Join(" ", c.Scopes)}).
              client_id:     {c.ClientId}
              client_secret: {credentials.ClientSecret}
            Keep the secret now: it is stored only as a hash and cannot be shown again.
            """);
    }

    private static void Write(TextWriter output, CommandLine line, object value, string text) =>
        output.WriteLine(line.Json ? JsonSerializer.Serialize(value, JsonOutput) : text);
}
