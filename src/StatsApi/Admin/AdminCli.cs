using System.Globalization;
using System.Text.Json;

namespace StatsApi.Admin;

/// <summary>
/// The service's executable is also its admin tool. Commands read the same configuration as the
/// server (appsettings and environment variables) and exit non-zero on failure.
/// </summary>
internal static partial class AdminCli
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

    private static int? Int(CommandLine line, string name) =>
        line.Option(name) is not { } value ? null
        : int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number
        : throw new UsageException($"--{name} must be a whole number.");

    private static void Write(TextWriter output, CommandLine line, object value, string text) =>
        output.WriteLine(line.Json ? JsonSerializer.Serialize(value, JsonOutput) : text);
}
