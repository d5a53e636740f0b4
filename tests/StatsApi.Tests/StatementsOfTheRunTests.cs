using StatsApi.Data;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>
/// A test of the statements a whole run of the suite recorded (RunStatements): it runs after the suite,
/// as a step of its own in scripts/test.sh, which names the file in STATSAPI_TEST_STATEMENTS_CHECK; in
/// any other run it is skipped, since a part of the suite records only a part of what the service runs.
/// </summary>
public sealed class StatementsOfTheRunFactAttribute : FactAttribute
{
    public const string Variable = "STATSAPI_TEST_STATEMENTS_CHECK";

    public StatementsOfTheRunFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"reads the statements of a whole run: ./scripts/test.sh runs it after the suite, with {Variable} set";
        }
    }
}

/// <summary>
/// Every statement the service ran during the whole suite, as Npgsql sent it, touches exactly one school
/// (docs/scale-out.md), but for the few listed in SchoolDistribution.Spanning, and none is one Citus refuses.
/// Read at run time, not from the source, so no way of writing or building a statement escapes the check.
/// </summary>
public class StatementsOfTheRunTests
{
    // The migrations' own DDL runs once, before distribution, on a single node: not a statement of a request.
    private static readonly HashSet<string> Migrations = Migrator.All.SelectMany(m => SqlText.Split(m.Sql)).ToHashSet(StringComparer.Ordinal);

    // Statements that read or write rows; settings, DDL and COPY (whose rows the demo loader checks) have no plan to read.
    private static readonly string[] RowStatements = ["select", "insert", "update", "delete", "with"];

    [StatementsOfTheRunFact]
    public async Task EveryStatementTheServiceRanTouchesExactlyOneSchoolButTheListedOnes()
    {
        var statements = RunStatements.Read(Environment.GetEnvironmentVariable(StatementsOfTheRunFactAttribute.Variable)!)
            .Where(s => !Migrations.Contains(s.Sql)
                        && RowStatements.Any(k => s.Sql.StartsWith(k, StringComparison.OrdinalIgnoreCase) && s.Sql.Length > k.Length && !char.IsLetterOrDigit(s.Sql[k.Length])))
            .ToList();
        var (connection, distributed) = await CitusReadinessTests.OpenAsync();
        await using var _ = connection;
        var citus = await SchoolDistribution.CitusSchemaAsync(connection, distributed);

        var failures = new List<string>();
        var spanningSeen = new HashSet<SchoolSpanning>();
        foreach (var statement in statements)
        {
            var problem = await SchoolDistribution.PlanProblemAsync(connection, distributed, statement.Sql);
            var spanning = SchoolDistribution.Spanning.FirstOrDefault(s => s.File == statement.Source && statement.Sql.Contains(s.Contains, StringComparison.Ordinal));
            // What Citus would refuse, spanning or not: a statement that spans shards must not lock rows.
            failures.AddRange(CitusRules.StatementProblems(statement.Sql, citus, spansShards: spanning is not null || problem is not null)
                .Select(p => $"{statement}\n    {p}"));
            if (spanning is not null)
            {
                spanningSeen.Add(spanning);
            }
            else if (problem is not null)
            {
                failures.Add($"{statement}\n    {problem}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        Assert.True(statements.Count > 100, $"Only {statements.Count} statements of the service were recorded.");
        Assert.Equal(SchoolDistribution.Spanning, SchoolDistribution.Spanning.Where(spanningSeen.Contains));
    }
}
