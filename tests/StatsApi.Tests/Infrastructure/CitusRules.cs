using System.Text.RegularExpressions;

namespace StatsApi.Tests.Infrastructure;

/// <summary>What the Citus rules need to know of the schema: its tables, and which functions are not immutable.</summary>
public sealed record CitusSchema(IReadOnlySet<string> Distributed, IReadOnlySet<string> Reference, Func<string, bool> IsNotImmutable)
{
    /// <summary>A table Citus manages: distributed by school_id, or a reference table.</summary>
    public bool IsCitusTable(string table) => Distributed.Contains(table) || Reference.Contains(table);
}

/// <summary>One statement of a PL/pgSQL body, and the variables it fills (a FOR loop's, SELECT ... INTO's, :='s).</summary>
public sealed record BodyStatement(string Sql, IReadOnlyList<string> Targets);

/// <summary>
/// Statements a single PostgreSQL runs and Citus refuses, found on their text. Each rule is a function of one
/// statement, whatever found it (the source reader, Npgsql's command log, a migration's function body), and
/// each answers why Citus would refuse it, or nothing. The classes are those a real Citus 13 cluster refused
/// (issue 20):
/// <list type="bullet">
/// <item>a transition table in a statement with a distributed table (<see cref="TransitionTableWithDistributedTable"/>);</item>
/// <item>a function that is not immutable in ON CONFLICT DO UPDATE (<see cref="NotImmutableInOnConflictUpdate"/>), or in a
/// COALESCE or CASE of an UPDATE (<see cref="NotImmutableInCoalesceOrCaseOfUpdate"/>);</item>
/// <item>a subquery in INSERT ... VALUES (<see cref="SubqueryInInsertValues"/>);</item>
/// <item>a row lock in a statement that spans shards (<see cref="RowLockSpanningShards"/>);</item>
/// <item>a sequence used outside a column default (<see cref="SequenceOutsideColumnDefault"/>).</item>
/// </list>
/// And, for the functions triggers run on a worker, a distributed table not pinned to one school (<see cref="UnpinnedDistributedTables"/>).
/// </summary>
public static partial class CitusRules
{
    /// <summary>Every rule that applies to a statement sent through the coordinator; spansShards when it is not pinned to one school.</summary>
    public static IReadOnlyList<string> StatementProblems(string sql, CitusSchema schema, bool spansShards) =>
        new[]
        {
            NotImmutableInOnConflictUpdate(sql, schema),
            NotImmutableInCoalesceOrCaseOfUpdate(sql, schema),
            SubqueryInInsertValues(sql, schema),
            RowLockSpanningShards(sql, spansShards),
            SequenceOutsideColumnDefault(sql),
        }.OfType<string>().ToList();

    /// <summary>
    /// Every rule that applies to a statement of a function a trigger runs: on a worker, on the rows of one shard,
    /// reaching only that worker's shards. schoolValues are the variables and parameters that hold a school of
    /// the rows that fired it (<see cref="SchoolVariables"/>).
    /// </summary>
    public static IReadOnlyList<string> FunctionStatementProblems(string sql, CitusSchema schema, IReadOnlySet<string> transitionTables,
        IReadOnlySet<string> schoolValues)
    {
        var unpinned = UnpinnedDistributedTables(sql, schema, schoolValues);
        var problems = new List<string>();
        if (TransitionTableWithDistributedTable(sql, schema, transitionTables) is { } mixed)
        {
            problems.Add(mixed);
        }
        if (unpinned.Count > 0)
        {
            problems.Add($"reads {string.Join(", ", unpinned)} without school_id = one school of the rows that fired the trigger: "
                + "on a worker, a trigger may reach only the shards of that worker, and Citus routes a statement to one shard only on school_id = one value");
        }
        problems.AddRange(StatementProblems(sql, schema, spansShards: unpinned.Count > 0));
        return problems;
    }

    /// <summary>
    /// A transition table (new_rows, old_lessons...) read in the same statement as a distributed table, even one
    /// filtered to one school: Citus cannot plan it ("unrecognized RTE kind: 7", or "could not run distributed query
    /// with FOR UPDATE/SHARE commands" when it locks).
    /// </summary>
    public static string? TransitionTableWithDistributedTable(string sql, CitusSchema schema, IReadOnlySet<string> transitionTables)
    {
        var tables = References(sql).Select(r => r.Table).ToList();
        var transition = tables.Where(transitionTables.Contains).Distinct().ToList();
        var distributed = tables.Where(schema.Distributed.Contains).Distinct().ToList();
        return transition.Count > 0 && distributed.Count > 0
            ? $"reads the transition table {string.Join(", ", transition)} in a statement with the distributed table {string.Join(", ", distributed)}, "
              + "which Citus cannot plan: read the transition table into arrays (or loop over it) first, then the distributed table under school_id = one school"
            : null;
    }

    /// <summary>
    /// A function that is not immutable (now(), nextval(), ...) in the SET or WHERE of ON CONFLICT DO UPDATE on a Citus
    /// table: "functions used in the DO UPDATE SET clause of INSERTs on distributed tables must be marked IMMUTABLE".
    /// </summary>
    public static string? NotImmutableInOnConflictUpdate(string sql, CitusSchema schema)
    {
        foreach (Match insert in InsertInto().Matches(sql))
        {
            if (!schema.IsCitusTable(insert.Groups[1].Value))
            {
                continue;
            }
            var conflict = DoUpdate().Match(sql, insert.Index);
            if (!conflict.Success || StatementEnd(sql, insert.Index) < conflict.Index)
            {
                continue;
            }
            var clause = Clause(sql, conflict.Index + conflict.Length);
            var calls = NotImmutableCalls(clause, schema).ToList();
            if (calls.Count > 0)
            {
                return $"calls {string.Join(", ", calls)} in ON CONFLICT DO UPDATE of {insert.Groups[1].Value}, which Citus refuses "
                    + "(only immutable functions there): take the time from excluded.* (the new row's default) or from a parameter";
            }
        }
        return null;
    }

    /// <summary>
    /// A function that is not immutable inside a COALESCE or CASE of an UPDATE (or DELETE) of a Citus table:
    /// "non-IMMUTABLE functions are not allowed in CASE or COALESCE statements".
    /// </summary>
    public static string? NotImmutableInCoalesceOrCaseOfUpdate(string sql, CitusSchema schema)
    {
        foreach (Match modify in UpdateOrDelete().Matches(sql))
        {
            if (!schema.IsCitusTable(modify.Groups[2].Value))
            {
                continue;
            }
            var clause = Clause(sql, modify.Index + modify.Length);
            foreach (var (kind, inner) in CoalescesAndCases(clause))
            {
                var calls = NotImmutableCalls(inner, schema).ToList();
                if (calls.Count > 0)
                {
                    return $"calls {string.Join(", ", calls)} inside {kind} of an {modify.Groups[1].Value.ToUpperInvariant()} of {modify.Groups[2].Value}, "
                        + "which Citus refuses (non-IMMUTABLE functions are not allowed in CASE or COALESCE): move the condition to the WHERE clause, "
                        + "or take the value from a parameter";
                }
            }
        }
        return null;
    }

    /// <summary>A subquery among the VALUES of an INSERT into a Citus table: "subqueries are not supported within INSERT queries".</summary>
    public static string? SubqueryInInsertValues(string sql, CitusSchema schema)
    {
        foreach (Match insert in InsertValues().Matches(sql))
        {
            if (!schema.IsCitusTable(insert.Groups[1].Value))
            {
                continue;
            }
            var values = Clause(sql, insert.Index + insert.Length - 1);
            if (Subquery().IsMatch(values))
            {
                return $"has a subquery among the VALUES of an INSERT into {insert.Groups[1].Value}, which Citus refuses: "
                    + "write it as INSERT ... SELECT ... FROM the table the subquery reads";
            }
        }
        return null;
    }

    /// <summary>
    /// A row lock (FOR UPDATE, FOR SHARE, ...) in a statement that is not routed to one shard: "could not run
    /// distributed query with FOR UPDATE/SHARE commands", and no SKIP LOCKED in a multi-shard subquery.
    /// </summary>
    public static string? RowLockSpanningShards(string sql, bool spansShards) =>
        spansShards && RowLock().Match(sql) is { Success: true } lockClause
            ? $"locks rows ({Regex.Replace(lockClause.Value, @"\s+", " ")}) in a statement that spans shards, which Citus refuses: lock only under school_id = one school, or do without the lock"
            : null;

    /// <summary>
    /// A sequence called by name (nextval, currval, setval): Citus makes a sequence on the workers only as the column
    /// default of a distributed table, so a trigger on a worker finds no such relation.
    /// </summary>
    public static string? SequenceOutsideColumnDefault(string sql) =>
        SequenceCall().Match(sql) is { Success: true } call
            ? $"calls {call.Groups[1].Value}({call.Groups[2].Value}) outside a column default: on the workers the sequence exists only as a distributed table's column default; make it one and insert DEFAULT"
            : null;

    /// <summary>
    /// The distributed tables a statement reads (by alias) that are not pinned to one school: school_id equal to one of
    /// schoolValues (or a $n parameter), or to the school_id of a table that is.
    /// </summary>
    public static IReadOnlyList<string> UnpinnedDistributedTables(string sql, CitusSchema schema, IReadOnlySet<string> schoolValues)
    {
        var references = References(sql).Where(r => schema.Distributed.Contains(r.Table)).ToList();
        if (references.Count == 0)
        {
            return [];
        }
        bool IsSchool(string value) => schoolValues.Contains(value) || value.StartsWith('$');
        var pinned = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match equal in SchoolEquals().Matches(sql))
        {
            var (alias, value) = (equal.Groups["a"].Value, equal.Groups["v"].Value);
            if (!IsSchool(value))
            {
                continue;
            }
            if (alias.Length > 0)
            {
                pinned.Add(alias);
            }
            else if (references.Count == 1)
            {
                pinned.Add(references[0].Alias);
            }
        }
        foreach (Match equal in SchoolEqualsReversed().Matches(sql).Where(m => IsSchool(m.Groups["v"].Value)))
        {
            pinned.Add(equal.Groups["a"].Value);
        }
        var joins = SchoolJoin().Matches(sql).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        bool grew;
        do
        {
            grew = false;
            foreach (var (left, right) in joins)
            {
                if (pinned.Contains(left) != pinned.Contains(right))
                {
                    grew = pinned.Add(left) | pinned.Add(right);
                }
            }
        }
        while (grew);
        return references.Where(r => !pinned.Contains(r.Alias)).Select(r => r.Alias == r.Table ? r.Table : $"{r.Table} ({r.Alias})").Distinct().ToList();
    }

    /// <summary>
    /// The variables and parameters of a function body that hold what the rows that fired it hold: the parameters
    /// (the functions are called with the rows' schools), and the targets of each statement that reads no Citus
    /// table (a loop over a transition table, an array made from one), to a fixed point.
    /// </summary>
    public static IReadOnlySet<string> SchoolVariables(IEnumerable<BodyStatement> statements, IEnumerable<string> parameters, CitusSchema schema)
    {
        var values = new HashSet<string>(parameters, StringComparer.Ordinal);
        foreach (var statement in statements.Where(s => s.Targets.Count > 0))
        {
            if (!References(statement.Sql).Any(r => schema.IsCitusTable(r.Table)))
            {
                values.UnionWith(statement.Targets);
            }
        }
        return values;
    }

    /// <summary>
    /// The statements of a PL/pgSQL body, apart from its control structure: each FOR loop's query, each IF's
    /// condition (as a SELECT), PERFORM as SELECT, an assignment's expression as a SELECT, and every SQL statement.
    /// </summary>
    public static IReadOnlyList<BodyStatement> BodyStatements(string body)
    {
        var found = new List<BodyStatement>();
        foreach (var piece in SqlText.Split(Regex.Replace(body, "--[^\n]*", "")))
        {
            Walk(piece.Trim(), found);
        }
        return found;
    }

    private static void Walk(string text, List<BodyStatement> found)
    {
        while (text.Length > 0)
        {
            if (BlockWord().Match(text) is { Success: true } word)
            {
                text = text[word.Length..].TrimStart();
                continue;
            }
            if (Declare().IsMatch(text))
            {
                // A declaration (the first after DECLARE, or a later one): no statement until BEGIN.
                var begin = TopLevel(text, BeginWord());
                if (begin < 0)
                {
                    return;
                }
                text = text[begin..];
                continue;
            }
            if (ForLoop().Match(text) is { Success: true } loop)
            {
                var rest = text[(loop.Length)..];
                var end = TopLevel(rest, LoopWord());
                var query = end < 0 ? rest : rest[..end];
                var targets = loop.Groups[1].Value.Split(',').Select(t => t.Trim()).ToList();
                if (!loop.Groups["array"].Success)
                {
                    found.Add(new BodyStatement(query.Trim(), targets));
                }
                text = end < 0 ? "" : rest[(end + 4)..].TrimStart();
                continue;
            }
            if (Condition().Match(text) is { Success: true } condition)
            {
                var rest = text[condition.Length..];
                // Up to THEN (IF, ELSIF) or LOOP (WHILE): both four letters.
                var end = TopLevel(rest, condition.Groups[1].Value.Equals("while", StringComparison.OrdinalIgnoreCase) ? LoopWord() : ThenWord());
                found.Add(new BodyStatement("select " + (end < 0 ? rest : rest[..end]).Trim(), []));
                text = end < 0 ? "" : rest[(end + 4)..].TrimStart();
                continue;
            }
            if (Assignment().Match(text) is { Success: true } assignment)
            {
                found.Add(new BodyStatement("select " + text[assignment.Length..].Trim(), [assignment.Groups[1].Value]));
                return;
            }
            if (Perform().IsMatch(text))
            {
                text = "select " + text[7..].TrimStart();
            }
            if (SqlStart().IsMatch(text))
            {
                var into = SelectInto().Match(text);
                var targets = into.Success && text.StartsWith("select", StringComparison.OrdinalIgnoreCase)
                    ? into.Groups[1].Value.Split(',').Select(t => t.Trim()).ToList()
                    : [];
                found.Add(new BodyStatement(text, targets));
            }
            return;
        }
    }

    // The first occurrence of a word at parenthesis depth 0, or -1.
    private static int TopLevel(string text, Regex word)
    {
        var depth = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\'')
            {
                quoted = !quoted;
            }
            if (quoted)
            {
                continue;
            }
            depth += c switch { '(' => 1, ')' => -1, _ => 0 };
            if (depth == 0 && word.Match(text, i) is { Success: true } match && match.Index == i && (i == 0 || !char.IsLetterOrDigit(text[i - 1]) && text[i - 1] != '_'))
            {
                return i;
            }
        }
        return -1;
    }

    private sealed record Reference(string Table, string Alias);

    private static List<Reference> References(string sql) =>
        TableReference().Matches(sql)
            .Select(m => new Reference(m.Groups[2].Value, m.Groups[3].Success && !AliasKeywords.Contains(m.Groups[3].Value) ? m.Groups[3].Value : m.Groups[2].Value))
            .ToList();

    private static readonly HashSet<string> AliasKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "on", "where", "join", "left", "right", "inner", "cross", "full", "using", "set", "select", "group", "order", "limit", "for", "values",
        "returning", "union", "as", "natural", "lateral", "with", "into", "having", "window", "except", "intersect", "offset", "loop", "then",
    };

    // The end of the statement that starts at 'from': its text up to a top-level semicolon.
    private static int StatementEnd(string sql, int from)
    {
        var end = sql.IndexOf(';', from);
        return end < 0 ? sql.Length : end;
    }

    // A clause from 'from' up to a top-level RETURNING, the parenthesis that closes it, or the end.
    private static string Clause(string sql, int from)
    {
        var depth = 0;
        var quoted = false;
        for (var i = from; i < sql.Length; i++)
        {
            var c = sql[i];
            if (c == '\'')
            {
                quoted = !quoted;
            }
            if (quoted)
            {
                continue;
            }
            depth += c switch { '(' => 1, ')' => -1, _ => 0 };
            if (depth < 0 || (depth == 0 && c == ';') || (depth == 0 && string.Compare(sql, i, "returning", 0, 9, StringComparison.OrdinalIgnoreCase) == 0 && i > 0 && char.IsWhiteSpace(sql[i - 1])))
            {
                return sql[from..i];
            }
        }
        return sql[from..];
    }

    // The text inside each COALESCE(...) and CASE ... END of a clause.
    private static IEnumerable<(string Kind, string Inner)> CoalescesAndCases(string clause)
    {
        foreach (Match coalesce in CoalesceCall().Matches(clause))
        {
            yield return ("COALESCE", Clause(clause, coalesce.Index + coalesce.Length));
        }
        foreach (Match start in CaseWord().Matches(clause))
        {
            var depth = 0;
            foreach (Match word in CaseOrEnd().Matches(clause[start.Index..]))
            {
                depth += word.Value.Equals("case", StringComparison.OrdinalIgnoreCase) ? 1 : -1;
                if (depth == 0)
                {
                    yield return ("CASE", clause.Substring(start.Index, word.Index));
                    break;
                }
            }
        }
    }

    private static IEnumerable<string> NotImmutableCalls(string text, CitusSchema schema) =>
        FunctionCall().Matches(text).Select(m => m.Groups[1].Value).Where(f => !NotFunctions.Contains(f) && schema.IsNotImmutable(f)).Select(f => f + "()")
            .Concat(ValueFunction().Matches(text).Select(m => m.Value.ToLowerInvariant()))
            .Distinct();

    // Words written as calls that are syntax, not functions of pg_proc.
    private static readonly HashSet<string> NotFunctions = new(StringComparer.OrdinalIgnoreCase)
    {
        "coalesce", "nullif", "greatest", "least", "exists", "in", "any", "all", "some", "array", "row", "values", "select", "and", "or", "not", "filter", "over", "cast", "is",
    };

    [GeneratedRegex(@"\b(from|join|update|using)\s+(?!unnest\b|lateral\b|only\b)(\w+)\b(?!\s*\()(?:\s+(?:as\s+)?(\w+))?", RegexOptions.IgnoreCase)]
    private static partial Regex TableReference();

    [GeneratedRegex(@"\binsert\s+into\s+(\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex InsertInto();

    [GeneratedRegex(@"\binsert\s+into\s+(\w+)(?:\s+as\s+\w+)?\s*(?:\([^)]*\))?\s*values\s*\(", RegexOptions.IgnoreCase)]
    private static partial Regex InsertValues();

    [GeneratedRegex(@"\bdo\s+update\s+set\b", RegexOptions.IgnoreCase)]
    private static partial Regex DoUpdate();

    [GeneratedRegex(@"\b(update|delete\s+from)\s+(\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex UpdateOrDelete();

    [GeneratedRegex(@"\(\s*select\b", RegexOptions.IgnoreCase)]
    private static partial Regex Subquery();

    [GeneratedRegex(@"\bfor\s+(?:no\s+key\s+update|key\s+share|update|share)\b(?:\s+(?:skip\s+locked|nowait))?", RegexOptions.IgnoreCase)]
    private static partial Regex RowLock();

    [GeneratedRegex(@"\b(nextval|currval|setval|lastval)\s*\(\s*([^)]*)\)", RegexOptions.IgnoreCase)]
    private static partial Regex SequenceCall();

    [GeneratedRegex(@"(?<![\w.])([a-z_]\w*)\s*\(", RegexOptions.IgnoreCase)]
    private static partial Regex FunctionCall();

    [GeneratedRegex(@"\b(current_timestamp|current_date|current_time|localtimestamp|localtime)\b", RegexOptions.IgnoreCase)]
    private static partial Regex ValueFunction();

    [GeneratedRegex(@"\bcoalesce\s*\(", RegexOptions.IgnoreCase)]
    private static partial Regex CoalesceCall();

    [GeneratedRegex(@"\bcase\b", RegexOptions.IgnoreCase)]
    private static partial Regex CaseWord();

    [GeneratedRegex(@"\b(case|end)\b", RegexOptions.IgnoreCase)]
    private static partial Regex CaseOrEnd();

    [GeneratedRegex(@"(?:\b(?<a>\w+)\.|(?<![\w.]))school_id\s*=\s*(?<v>\$\d+|[a-z_]\w*)\b(?!\s*[.(])", RegexOptions.IgnoreCase)]
    private static partial Regex SchoolEquals();

    [GeneratedRegex(@"(?<v>\$\d+|\b[a-z_]\w*)\s*=\s*(?<a>\w+)\.school_id\b", RegexOptions.IgnoreCase)]
    private static partial Regex SchoolEqualsReversed();

    [GeneratedRegex(@"\b(\w+)\.school_id\s*=\s*(\w+)\.school_id\b")]
    private static partial Regex SchoolJoin();

    [GeneratedRegex(@"^(?:begin|else|loop|end\s+(?:if|loop)|end)\b\s*", RegexOptions.IgnoreCase)]
    private static partial Regex BlockWord();

    [GeneratedRegex(@"^declare\b|^\w+\s+(?!:=)[\w.]+(?:\[\])?(?:\s*(?::=|default)[^;]*)?$", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Declare();

    [GeneratedRegex(@"begin\b", RegexOptions.IgnoreCase)]
    private static partial Regex BeginWord();

    [GeneratedRegex(@"^for\s+(\w+(?:\s*,\s*\w+)*)\s+in\s+(?<array>array\s+)?", RegexOptions.IgnoreCase)]
    private static partial Regex ForLoop();

    [GeneratedRegex(@"loop\b", RegexOptions.IgnoreCase)]
    private static partial Regex LoopWord();

    [GeneratedRegex(@"then\b", RegexOptions.IgnoreCase)]
    private static partial Regex ThenWord();

    [GeneratedRegex(@"^(if|elsif|while)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Condition();

    [GeneratedRegex(@"^(\w+)\s*:=", RegexOptions.IgnoreCase)]
    private static partial Regex Assignment();

    [GeneratedRegex(@"^perform\b", RegexOptions.IgnoreCase)]
    private static partial Regex Perform();

    [GeneratedRegex(@"^(select|insert|update|delete|with)\b", RegexOptions.IgnoreCase)]
    private static partial Regex SqlStart();

    [GeneratedRegex(@"\binto\s+(\w+(?:\s*,\s*\w+)*)\s+from\b", RegexOptions.IgnoreCase)]
    private static partial Regex SelectInto();
}
