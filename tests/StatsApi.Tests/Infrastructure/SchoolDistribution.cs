using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;

namespace StatsApi.Tests.Infrastructure;

/// <summary>One statement that may touch several schools, why, and how Citus runs it.</summary>
public sealed record SchoolSpanning(string File, string Contains, string Reason);

/// <summary>
/// The schema distributed by school_id (Citus), as docs/scale-out.md plans it, and the checks that keep
/// the code fit for it: every table of school data leads its keys with school_id, every other table is
/// small and global (a reference table), and every statement on school data touches exactly one school.
/// </summary>
public static partial class SchoolDistribution
{
    /// <summary>The small, global tables: one copy on every node, read by requests of any school.</summary>
    public static readonly IReadOnlyDictionary<string, string> ReferenceTables = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["api_clients"] = "the registered clients, read by every token request whatever its school",
        ["api_token_hashes"] = "which school each person's API token belongs to: the exchange knows only the token",
        ["signing_keys"] = "the token service's keys",
        ["token_revocations"] = "what no longer authorises anything, reloaded by every instance",
        ["schema_migrations"] = "the migrations applied",
        ["developer_accounts"] = "the developer portal's accounts",
        ["access_requests"] = "organisations' requests for access and what was granted",
        ["portal_applications"] = "which organisation created which client in the portal",
        ["portal_sign_in_failures"] = "failed portal sign-ins per address, shared by every instance",
        ["client_events"] = "who changed which client, through which door",
        ["data_protection_keys"] = "the key ring of the portal's cookies, read by every instance",
        ["portal_sign_in_address_failures"] = "failed portal sign-ins per network address, shared by every instance",
        ["school_requests"] = "organisations' requests to add schools",
        ["grant_events"] = "who changed which organisation's grant",
        ["client_usage_daily"] = "each client's requests per day, added to by every instance",
    };

    /// <summary>Statements of the code that touch several schools on purpose. Keep this short.</summary>
    public static readonly IReadOnlyList<SchoolSpanning> Spanning =
    [
        new("Writes/IdempotencyKeySweeper.cs", "delete from idempotency_keys",
            "deletes expired idempotency keys of every school every 10 minutes: a multi-shard DELETE, run on each shard in parallel"),
        new("Writes/IdempotencyKeySweeper.cs", "min(created_at) from idempotency_keys",
            "finds the oldest expired idempotency key, where the sweep starts: a multi-shard aggregate, one row from each shard"),
        new("Privacy/RetentionJob.cs", "select school_id from schools order by school_id",
            "the retention job lists every school once a round, then works school by school: a multi-shard read of one small table"),
        new("Changes/ChangeLogPruner.cs", "select distinct school_id from change_log",
            "finds the schools whose change log holds changes past the retention, every hour: a multi-shard read of change_log_by_age; each is then pruned on its own shard"),
        new("Schools/SchoolEndpoints.cs", "school_id = any(@approved)",
            "lists the caller's approved schools: school_id = any(array) is routed to the shards of those schools only"),
        new("Clients/ApiClients.cs", "school_id = any(@ids)",
            "checks that a client's schools exist when an administrator registers it: the shards of those schools only"),
        new("Demo/DemoData.cs", "school_id = any(@ids)",
            "the seed command checks and counts its own demo schools: the shards of those schools only"),
    ];

    // The tables whose rows of one statement all belong to the school of the statement that fired the trigger.
    private static readonly string[] TransitionTables = ["new_rows", "old_rows", "new_lessons", "old_lessons", "new_schools", "old_schools", "new_courses", "old_courses"];

    /// <summary>Functions that are not immutable, where no database says which are: the ones the code might reach for.</summary>
    private static readonly HashSet<string> KnownNotImmutable = new(StringComparer.OrdinalIgnoreCase)
    {
        "now", "clock_timestamp", "statement_timestamp", "transaction_timestamp", "timeofday", "random", "nextval", "currval", "setval", "lastval",
        "gen_random_uuid", "current_setting", "set_config", "txid_current", "to_char", "age", "date_trunc", "json_agg", "jsonb_agg",
    };

    /// <summary>The schema as the Citus rules see it, with PostgreSQL's word on which functions are not immutable (any overload).</summary>
    public static async Task<CitusSchema> CitusSchemaAsync(NpgsqlConnection connection, IReadOnlySet<string> distributed)
    {
        var notImmutable = (await connection.QueryAsync<string>("select proname from pg_proc group by proname having bool_or(provolatile <> 'i')"))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        return new CitusSchema(distributed, ReferenceTables.Keys.ToHashSet(StringComparer.Ordinal), notImmutable.Contains);
    }

    /// <summary>The schema as the Citus rules see it, without a database: functions judged by <see cref="KnownNotImmutable"/>.</summary>
    public static CitusSchema CitusSchemaOf(IReadOnlySet<string> distributed) =>
        new(distributed, ReferenceTables.Keys.ToHashSet(StringComparer.Ordinal), KnownNotImmutable.Contains);

    // Parameters whose type PostgreSQL cannot infer from the statement alone.
    private static readonly Dictionary<string, string> ParameterTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["students"] = "bigint[]",
        ["clients"] = "text[]",
        ["days"] = "date[]",
        ["requests"] = "bigint[]",
        ["throttled"] = "bigint[]",
        ["errors"] = "bigint[]",
        ["last"] = "timestamptz[]",
        ["statuses"] = "text[]",
        ["codes"] = "text[]",
        ["names"] = "text[]",
        ["teachers"] = "bigint[]",
        ["ids"] = "text[]",
        ["approved"] = "text[]",
        ["lifetime"] = "interval",
        ["horizon"] = "interval",
        ["lessonIds"] = "bigint[]",
        ["courseIds"] = "bigint[]",
        ["userIds"] = "bigint[]",
        ["markLessons"] = "bigint[]",
        ["markStudents"] = "bigint[]",
        ["enrolmentCourses"] = "bigint[]",
        ["enrolmentStudents"] = "bigint[]",
        ["objects"] = "text[]",
        ["xmin"] = "bigint",
        ["txid"] = "bigint",
        ["change"] = "bigint",
        ["retentionDays"] = "integer",
    };

    /// <summary>The tables of the database that hold school data: every table but the reference tables.</summary>
    public static async Task<IReadOnlySet<string>> DistributedTablesAsync(NpgsqlConnection connection) =>
        (await connection.QueryAsync<string>("""
            select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
            where c.relkind in ('r', 'p')
            """))
            .Where(t => !ReferenceTables.ContainsKey(t))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Why a statement of the code does not touch exactly one school, or null when it does: PostgreSQL's
    /// generic plan of it must read every table of school data under school_id = one parameter (or joined
    /// on school_id to a table that is), and every row it inserts must take its school_id from one.
    /// </summary>
    public static async Task<string?> PlanProblemAsync(NpgsqlConnection connection, IReadOnlySet<string> distributed, string sql)
    {
        var names = new List<string>();
        var positional = Parameter().Replace(sql, m =>
        {
            var index = names.FindIndex(n => n.Equals(m.Groups[1].Value, StringComparison.Ordinal));
            if (index < 0)
            {
                names.Add(m.Groups[1].Value);
                index = names.Count - 1;
            }
            return "$" + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        });
        // As Npgsql sends it, a statement numbers its parameters already.
        var count = names.Count > 0 ? names.Count : Positional().Matches(sql).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
        var types = count == 0 ? "" : "(" + string.Join(", ", Enumerable.Range(0, count).Select(i => i < names.Count ? ParameterTypes.GetValueOrDefault(names[i], "unknown") : "unknown")) + ")";
        var nulls = count == 0 ? "" : "(" + string.Join(", ", Enumerable.Repeat("null", count)) + ")";
        string json;
        var prepared = false;
        try
        {
            await connection.ExecuteAsync("set plan_cache_mode = force_generic_plan");
            await connection.ExecuteAsync($"prepare school_scope_check{types} as {positional}");
            prepared = true;
            json = await connection.ExecuteScalarAsync<string>($"explain (format json, verbose) execute school_scope_check{nulls}") ?? "[]";
        }
        catch (PostgresException ex)
        {
            return $"PostgreSQL cannot plan it here ({ex.MessageText}); name its parameters' types in SchoolDistribution.ParameterTypes";
        }
        finally
        {
            await connection.ExecuteAsync(prepared ? "deallocate school_scope_check; reset plan_cache_mode" : "reset plan_cache_mode");
        }
        using var plan = JsonDocument.Parse(json);
        var problems = InsertProblems(sql, distributed).ToList();
        if (PlanProblem(plan.RootElement[0].GetProperty("Plan"), distributed) is { } read)
        {
            problems.Insert(0, read);
        }
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>
    /// Each insert into a table of school data names school_id among its columns and gives it one parameter, or
    /// the school_id of a table the statement reads under school_id = a parameter (an INSERT ... SELECT that
    /// Citus runs whole on the school's shard, where a parameter in the select list would be pulled through the coordinator).
    /// </summary>
    private static IEnumerable<string> InsertProblems(string sql, IReadOnlySet<string> distributed)
    {
        foreach (Match insert in Insert().Matches(sql))
        {
            var table = insert.Groups[1].Value;
            if (!distributed.Contains(table))
            {
                continue;
            }
            var columns = insert.Groups[2].Value.Split(',').Select(c => c.Trim()).ToList();
            var index = columns.IndexOf("school_id");
            var items = Items(sql, insert.Index + insert.Length);
            var value = index >= 0 && index < items.Count ? items[index] : null;
            var pinnedColumn = value is not null && QualifiedSchool().Match(value) is { Success: true } column
                && Regex.IsMatch(sql, $@"\b{column.Groups[1].Value}\.school_id\s*=\s*@\w+");
            if (value is null || (!OneParameter().IsMatch(value) && !pinnedColumn))
            {
                yield return $"inserts into {table} a school_id that is not one parameter: {value ?? "(none)"}";
            }
        }
    }

    // The expressions of a VALUES row or a select list starting at 'from', up to its end.
    private static List<string> Items(string sql, int from)
    {
        var items = new List<string>();
        var depth = 0;
        var quoted = false;
        var start = from;
        for (var i = from; i <= sql.Length; i++)
        {
            var c = i < sql.Length ? sql[i] : ')';
            if (c == '\'')
            {
                quoted = !quoted;
            }
            if (quoted)
            {
                continue;
            }
            depth += c switch { '(' => 1, ')' => -1, _ => 0 };
            if ((c == ',' && depth == 0) || depth < 0)
            {
                items.Add(ItemEnd().Split(sql[start..i])[0].Trim());
                start = i + 1;
                if (depth < 0)
                {
                    break;
                }
            }
        }
        return items;
    }

    private sealed record Scan(string Table, string Alias, List<string> Conditions);

    private static readonly string[] ConditionKeys = ["Index Cond", "Recheck Cond", "Filter", "TID Cond"];

    private static string? PlanProblem(JsonElement root, IReadOnlySet<string> distributed)
    {
        var scans = new List<Scan>();
        var problems = new List<string>();
        void Walk(JsonElement node)
        {
            if (node.TryGetProperty("Relation Name", out var relation) && distributed.Contains(relation.GetString()!))
            {
                var table = relation.GetString()!;
                // An insert's school_id is read from its text (InsertProblems); an update's or delete's scan is checked below.
                if (node.GetProperty("Node Type").GetString() != "ModifyTable")
                {
                    var conditions = ConditionKeys.Where(k => node.TryGetProperty(k, out _))
                        .SelectMany(k => Conjuncts(node.GetProperty(k).GetString()!)).ToList();
                    scans.Add(new Scan(table, node.TryGetProperty("Alias", out var alias) ? alias.GetString()! : table, conditions));
                }
            }
            if (node.TryGetProperty("Plans", out var children))
            {
                foreach (var child in children.EnumerateArray())
                {
                    Walk(child);
                }
            }
        }
        Walk(root);

        // A scan is pinned to one school by school_id = $n, or by school_id equal to a pinned scan's (a correlated subquery).
        var pinned = scans.Where(s => s.Conditions.Any(c => SchoolIsParameter().IsMatch(c))).Select(s => s.Alias).ToHashSet(StringComparer.Ordinal);
        bool grew;
        do
        {
            grew = false;
            foreach (var scan in scans.Where(s => !pinned.Contains(s.Alias)))
            {
                if (scan.Conditions.Select(c => SchoolIsSchool().Match(c)).Any(m => m.Success && (pinned.Contains(m.Groups[1].Value) || pinned.Contains(m.Groups[2].Value))))
                {
                    grew = pinned.Add(scan.Alias);
                }
            }
        }
        while (grew);
        problems.AddRange(scans.Where(s => !pinned.Contains(s.Alias))
            .Select(s => $"reads {s.Table} ({s.Alias}) without school_id = one parameter: {(s.Conditions.Count == 0 ? "no condition" : string.Join(" AND ", s.Conditions))}"));
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>The conditions that must all hold, as EXPLAIN prints them: "((a = $1) AND ((b = $2) OR c))" gives "a = $1" and "(b = $2) OR c".</summary>
    private static IEnumerable<string> Conjuncts(string condition)
    {
        var text = Unwrap(condition.Trim());
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            depth += text[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (depth == 0 && string.CompareOrdinal(text, i, " AND ", 0, 5) == 0)
            {
                yield return Unwrap(text[start..i].Trim());
                start = i + 5;
            }
        }
        yield return Unwrap(text[start..].Trim());
    }

    // "(x)" is x, unless the parentheses close before its end, as in "(a) OR (b)".
    private static string Unwrap(string text)
    {
        while (text.Length > 1 && text[0] == '(' && text[^1] == ')')
        {
            var depth = 0;
            for (var i = 0; i < text.Length - 1; i++)
            {
                depth += text[i] switch { '(' => 1, ')' => -1, _ => 0 };
                if (depth == 0)
                {
                    return text;
                }
            }
            text = text[1..^1].Trim();
        }
        return text;
    }

    /// <summary>The functions the migrations leave defined (the last definition of each name) and their bodies.</summary>
    public static IReadOnlyDictionary<string, string> MigrationFunctions(IEnumerable<string> migrations)
    {
        var functions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var migration in migrations)
        {
            // In the order they are written: a function renamed keeps its body under its new name; a dropped one is gone.
            var changes = FunctionDefinition().Matches(migration).Concat(FunctionRename().Matches(migration))
                .Concat(FunctionDrop().Matches(migration)).OrderBy(m => m.Index);
            foreach (var change in changes)
            {
                if (change.Groups["dropped"].Success)
                {
                    functions.Remove(change.Groups["dropped"].Value);
                }
                else if (change.Groups["to"].Success)
                {
                    functions[change.Groups["to"].Value] = functions[change.Groups[1].Value];
                    functions.Remove(change.Groups[1].Value);
                }
                else
                {
                    functions[change.Groups[1].Value] = change.Groups[2].Value;
                }
            }
        }
        return functions;
    }

    /// <summary>
    /// Why statements of a function body may touch schools other than those of the statement that fired
    /// it: each table of school data it reads must be tied by school_id to a transition table (new_rows,
    /// old_rows, ...), to a variable filled from one, or to the function's rows (unnest of its argument),
    /// directly or through another table so tied. And why Citus would refuse one on the worker where the
    /// trigger fires (CitusRules.FunctionStatementProblems): each distributed table must be read under
    /// school_id = one school of those rows (a parameter of the function, or a variable filled from the
    /// transition tables, such as the school of a loop over them), never in a statement with a transition table.
    /// </summary>
    public static IReadOnlyList<string> FunctionProblems(string name, string body, IReadOnlySet<string> distributed,
        CitusSchema? citus = null, IEnumerable<string>? parameters = null)
    {
        citus ??= CitusSchemaOf(distributed);
        var problems = new List<string>();
        var rootVariables = RootVariable().Matches(body).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var statements = CitusRules.BodyStatements(body);
        var schoolValues = CitusRules.SchoolVariables(statements, parameters ?? [], citus);
        var transitionTables = TransitionTables.ToHashSet(StringComparer.Ordinal);
        foreach (var statement in statements)
        {
            var sql = statement.Sql;
            problems.AddRange(CitusRules.FunctionStatementProblems(sql, citus, transitionTables, schoolValues)
                .Select(p => $"{name}: {p}: {Regex.Replace(sql, @"\s+", " ").Trim()}"));
            var references = TableReference().Matches(sql)
                .Select(m => (Table: m.Groups[2].Value, Alias: m.Groups[3].Success && !Keywords.Contains(m.Groups[3].Value) ? m.Groups[3].Value : m.Groups[2].Value))
                .ToList();
            var roots = references.Where(r => TransitionTables.Contains(r.Table)).Select(r => r.Alias)
                .Concat(RowsOfArgument().Matches(sql).Select(m => m.Groups[1].Value))
                .Concat(DerivedTable().Matches(sql).Select(m => m.Groups[1].Value))
                .ToHashSet(StringComparer.Ordinal);
            var tied = new Dictionary<string, string>(StringComparer.Ordinal);
            string Find(string alias) => tied.TryGetValue(alias, out var parent) && parent != alias ? tied[alias] = Find(parent) : alias;
            void Tie(string a, string b) => tied[Find(a)] = Find(b);
            foreach (Match join in SchoolJoin().Matches(sql))
            {
                Tie(join.Groups[1].Value, join.Groups[2].Value);
            }
            foreach (Match member in SchoolInTransition().Matches(sql))
            {
                roots.Add(member.Groups[1].Value);
            }
            foreach (Match any in SchoolAnyOf().Matches(sql).Where(m => rootVariables.Contains(m.Groups[2].Value)))
            {
                if (any.Groups[1].Success)
                {
                    roots.Add(any.Groups[1].Value);
                }
                else
                {
                    roots.UnionWith(references.Where(r => r.Alias == r.Table).Select(r => r.Alias));
                }
            }
            var rooted = roots.Select(Find).ToHashSet(StringComparer.Ordinal);
            // Pinned to one school of those rows is tied to them too.
            var unpinned = CitusRules.UnpinnedDistributedTables(sql, citus, schoolValues);
            problems.AddRange(references
                .Where(r => distributed.Contains(r.Table) && !rooted.Contains(Find(r.Alias))
                            && unpinned.Contains(r.Alias == r.Table ? r.Table : $"{r.Table} ({r.Alias})"))
                .Select(r => $"{name}: reads {r.Table} ({r.Alias}) untied to the rows of the statement that fired it: {Regex.Replace(sql, @"\s+", " ").Trim()}"));
        }
        return problems;
    }

    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "on", "where", "join", "left", "right", "inner", "cross", "using", "set", "select", "group", "order", "limit", "for", "values", "returning", "union", "as", "natural",
    };

    [GeneratedRegex(@"(?<![@\w])@([A-Za-z_]\w*)")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"\binsert\s+into\s+(\w+)(?:\s+as\s+\w+)?\s*\(([^)]*)\)\s*(?:values\s*\(|select\s)", RegexOptions.IgnoreCase)]
    private static partial Regex Insert();

    [GeneratedRegex(@"\s(?:from|where|on|returning|order|group|union)\s", RegexOptions.IgnoreCase)]
    private static partial Regex ItemEnd();

    [GeneratedRegex(@"\$(\d+)\b")]
    private static partial Regex Positional();

    [GeneratedRegex(@"^(@\w+|\(*\$\d+\)*(::\w+)?)$")]
    private static partial Regex OneParameter();

    [GeneratedRegex(@"^(\w+)\.school_id$")]
    private static partial Regex QualifiedSchool();

    [GeneratedRegex(@"^((\w+\.)?school_id = \$\d+|\$\d+ = (\w+\.)?school_id)$")]
    private static partial Regex SchoolIsParameter();

    [GeneratedRegex(@"^(\w+)\.school_id = (\w+)\.school_id$")]
    private static partial Regex SchoolIsSchool();

    [GeneratedRegex(@"\b(\w+)\.school_id\s*=\s*(\w+)\.school_id\b")]
    private static partial Regex SchoolJoin();

    [GeneratedRegex(@"create\s+(?:or\s+replace\s+)?function\s+(\w+)\s*\([^)]*\)\s+returns\s+\w+\s+language\s+\w+\s+as\s+\$\$(.*?)\$\$", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex FunctionDefinition();

    [GeneratedRegex(@"alter\s+function\s+(\w+)\s*\([^)]*\)\s+rename\s+to\s+(?<to>\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex FunctionRename();

    [GeneratedRegex(@"drop\s+function\s+(?:if\s+exists\s+)?(?<dropped>\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex FunctionDrop();

    [GeneratedRegex(@"\b(from|join|update)\s+(\w+)\b(?:\s+(?:as\s+)?(\w+))?", RegexOptions.IgnoreCase)]
    private static partial Regex TableReference();

    [GeneratedRegex(@"unnest\(\w+\)\s+(?:as\s+)?(\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex RowsOfArgument();

    [GeneratedRegex(@"\)\s+(\w+)\s+join\b", RegexOptions.IgnoreCase)]
    private static partial Regex DerivedTable();

    [GeneratedRegex(@"\(?(\w+)\.school_id\s*(?:,[^)]*)?\)?\s+in\s+\(\s*select\s+school_id\b[^)]*?\bfrom\s+(?:new|old)_\w+", RegexOptions.IgnoreCase)]
    private static partial Regex SchoolInTransition();

    [GeneratedRegex(@"(?:\b(\w+)\.)?\bschool_id\s*=\s*any\((\w+)\)", RegexOptions.IgnoreCase)]
    private static partial Regex SchoolAnyOf();

    [GeneratedRegex(@"(\w+)\s*:=\s*array\(\s*select\b[^;]*?\bfrom\s+(?:new|old)_\w+", RegexOptions.IgnoreCase)]
    private static partial Regex RootVariable();
}
