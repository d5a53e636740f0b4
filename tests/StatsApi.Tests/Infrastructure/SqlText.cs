namespace StatsApi.Tests.Infrastructure;

/// <summary>SQL text as the Citus checks read it.</summary>
public static class SqlText
{
    /// <summary>The statements of a text, split at the semicolons outside quotes and parentheses.</summary>
    public static IEnumerable<string> Split(string sql)
    {
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < sql.Length; i++)
        {
            switch (sql[i])
            {
                case '\'':
                    quoted = !quoted;
                    break;
                case '(' when !quoted:
                    depth++;
                    break;
                case ')' when !quoted:
                    depth--;
                    break;
                case ';' when !quoted && depth == 0:
                    if (sql[start..i].Trim() is { Length: > 0 } piece)
                    {
                        yield return piece;
                    }
                    start = i + 1;
                    break;
            }
        }
        if (sql[start..].Trim() is { Length: > 0 } last)
        {
            yield return last;
        }
    }
}
