using System.Text;
using System.Text.RegularExpressions;

namespace StatsApi.Tests.Infrastructure;

/// <summary>A SQL statement found in a file, or built at run time where the file cannot say all of it.</summary>
public sealed record FoundSql(string Source, int Line, string Sql, string? Unresolved = null)
{
    public override string ToString() => $"{Source}:{Line}: {Regex.Replace(Sql, @"\s+", " ").Trim()}";
}

/// <summary>
/// The SQL a C# file runs, read from its source: every string literal (regular, verbatim, raw,
/// interpolated) that begins as a statement, with each interpolation resolved from the file's own
/// string constants or, for a choice such as {(forUpdate ? "for update" : "")}, its first non-empty
/// literal, or from another file's constant named as Class.Name (the file named for the class). An
/// interpolation that cannot be resolved (a method call, a local) is named in Unresolved.
/// </summary>
public static partial class CSharpSql
{
    private sealed record Literal(int Start, int Line, string Text, List<Hole> Holes);

    private sealed record Hole(string Expression, List<Literal> Nested);

    private const char Marker = '\u0001';

    /// <summary>The statements of every C# file under a folder, named by their path relative to it.</summary>
    public static IReadOnlyList<FoundSql> StatementsUnder(string root)
    {
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToDictionary(f => f, File.ReadAllText);
        var elsewhere = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (file, code) in files)
        {
            var constants = Constants(code, Literals(code, 0, code.Length));
            foreach (var (name, literal) in constants)
            {
                elsewhere[$"{Path.GetFileNameWithoutExtension(file)}.{name}"] = Resolve(literal, constants, new Dictionary<string, string>(), [], 0);
            }
        }
        return files.SelectMany(f => Statements(Path.GetRelativePath(root, f.Key).Replace('\\', '/'), f.Value, elsewhere)).ToList();
    }

    public static IReadOnlyList<FoundSql> Statements(string source, string code, IReadOnlyDictionary<string, string>? elsewhere = null)
    {
        var literals = Literals(code, 0, code.Length);
        var constants = Constants(code, literals);
        var found = new List<FoundSql>();
        foreach (var literal in literals)
        {
            var unresolved = new List<string>();
            var text = Resolve(literal, constants, elsewhere ?? new Dictionary<string, string>(), unresolved, 0);
            if (!StartsAStatement().IsMatch(text))
            {
                continue;
            }
            foreach (var statement in Split(text))
            {
                found.Add(new FoundSql(source, literal.Line, statement, unresolved.Count == 0 ? null : string.Join(", ", unresolved)));
            }
        }
        return found;
    }

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

    private static Dictionary<string, Literal> Constants(string code, List<Literal> literals)
    {
        var constants = new Dictionary<string, Literal>(StringComparer.Ordinal);
        foreach (var literal in literals)
        {
            if (ConstantName().Match(code[..literal.Start]) is { Success: true } name)
            {
                constants[name.Groups[1].Value] = literal;
            }
        }
        return constants;
    }

    private static string Resolve(Literal literal, Dictionary<string, Literal> constants, IReadOnlyDictionary<string, string> elsewhere,
        List<string> unresolved, int depth)
    {
        var text = new StringBuilder();
        var parts = literal.Text.Split(Marker);
        for (var i = 0; i < parts.Length; i++)
        {
            if (i % 2 == 0)
            {
                text.Append(parts[i]);
                continue;
            }
            var hole = literal.Holes[int.Parse(parts[i], System.Globalization.CultureInfo.InvariantCulture)];
            var expression = hole.Expression.Trim();
            if (depth < 5 && constants.TryGetValue(expression, out var constant))
            {
                text.Append(Resolve(constant, constants, elsewhere, unresolved, depth + 1));
            }
            else if (elsewhere.TryGetValue(expression, out var qualified))
            {
                text.Append(qualified);
            }
            else if (hole.Nested.FirstOrDefault(n => n.Text.Length > 0) is { } choice)
            {
                text.Append(Resolve(choice, constants, elsewhere, unresolved, depth + 1));
            }
            else
            {
                unresolved.Add("{" + expression + "}");
                text.Append(' ');
            }
        }
        return text.ToString();
    }

    private static List<Literal> Literals(string code, int from, int to)
    {
        var found = new List<Literal>();
        var i = from;
        while (i < to)
        {
            if (code[i] == '/' && i + 1 < to && code[i + 1] == '/')
            {
                i = code.IndexOf('\n', i) is var end and >= 0 ? end : to;
            }
            else if (code[i] == '/' && i + 1 < to && code[i + 1] == '*')
            {
                i = code.IndexOf("*/", i + 2, StringComparison.Ordinal) + 2;
            }
            else if (code[i] == '\'')
            {
                i = SkipCharLiteral(code, i);
            }
            else if (ReadString(code, ref i) is { } literal)
            {
                found.Add(literal);
            }
            else
            {
                i++;
            }
        }
        return found;
    }

    private static int SkipCharLiteral(string code, int i)
    {
        var j = i + 1;
        if (j < code.Length && code[j] == '\\')
        {
            j++;
        }
        var close = code.IndexOf('\'', j + 1);
        return close >= 0 ? close + 1 : code.Length;
    }

    /// <summary>Reads the string literal at i, if one starts there, and moves i past it.</summary>
    private static Literal? ReadString(string code, ref int i)
    {
        var start = i;
        var j = i;
        var dollars = 0;
        var verbatim = false;
        while (j < code.Length && (code[j] == '$' || code[j] == '@'))
        {
            if (code[j] == '$')
            {
                dollars++;
            }
            else
            {
                verbatim = true;
            }
            j++;
        }
        if (j >= code.Length || code[j] != '"' || (verbatim && j - start > 2))
        {
            return null;
        }
        var quotes = 0;
        while (j + quotes < code.Length && code[j + quotes] == '"')
        {
            quotes++;
        }
        var line = code.AsSpan(0, start).Count('\n') + 1;
        var text = new StringBuilder();
        var holes = new List<Hole>();
        if (quotes >= 3)
        {
            j += quotes;
            var close = new string('"', quotes);
            while (j < code.Length && string.CompareOrdinal(code, j, close, 0, quotes) != 0)
            {
                if (dollars > 0 && code[j] == '{')
                {
                    // In $$"""...""", {{ opens an interpolation and a lone { is text; more braces are text first.
                    var run = Repeats(code, j, '{');
                    if (run < dollars)
                    {
                        text.Append('{', run);
                        j += run;
                        continue;
                    }
                    text.Append('{', run - dollars);
                    j = ReadHole(code, j + run, dollars, holes, text);
                    continue;
                }
                text.Append(code[j++]);
            }
            i = j + quotes;
        }
        else if (quotes == 2 && !verbatim)
        {
            i = j + 2;
        }
        else
        {
            j++;
            while (j < code.Length)
            {
                var c = code[j];
                if (verbatim && c == '"' && j + 1 < code.Length && code[j + 1] == '"')
                {
                    text.Append('"');
                    j += 2;
                }
                else if (c == '"')
                {
                    break;
                }
                else if (!verbatim && c == '\\')
                {
                    text.Append(code[j + 1] switch { 'n' => '\n', 't' => '\t', var other => other });
                    j += 2;
                }
                else if (dollars > 0 && c == '{' && j + 1 < code.Length && code[j + 1] == '{')
                {
                    text.Append('{');
                    j += 2;
                }
                else if (dollars > 0 && c == '}' && j + 1 < code.Length && code[j + 1] == '}')
                {
                    text.Append('}');
                    j += 2;
                }
                else if (dollars > 0 && c == '{')
                {
                    j = ReadHole(code, j + 1, 1, holes, text);
                }
                else
                {
                    text.Append(c);
                    j++;
                }
            }
            i = j + 1;
        }
        return new Literal(start, line, text.ToString(), holes);
    }

    private static int Repeats(string code, int at, char c)
    {
        var n = 0;
        while (at + n < code.Length && code[at + n] == c)
        {
            n++;
        }
        return n;
    }

    // An interpolation: its expression up to the closing brace(s), with the string literals inside it.
    private static int ReadHole(string code, int j, int braces, List<Hole> holes, StringBuilder text)
    {
        var start = j;
        var depth = 0;
        var nested = new List<Literal>();
        while (j < code.Length)
        {
            var c = code[j];
            if (c == '}' && depth == 0 && Repeats(code, j, '}') >= braces)
            {
                break;
            }
            if (c is '{' or '(' or '[')
            {
                depth++;
            }
            else if (c is '}' or ')' or ']')
            {
                depth--;
            }
            else if (c == '\'')
            {
                j = SkipCharLiteral(code, j);
                continue;
            }
            else if (ReadString(code, ref j) is { } literal)
            {
                nested.Add(literal);
                continue;
            }
            j++;
        }
        var expression = code[start..j];
        var format = expression.IndexOf(':', StringComparison.Ordinal);
        if (format > 0 && !expression.Contains('"', StringComparison.Ordinal) && !expression.Contains('?', StringComparison.Ordinal))
        {
            expression = expression[..format];
        }
        text.Append(Marker).Append(holes.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(Marker);
        holes.Add(new Hole(expression, nested));
        return j + braces;
    }

    [GeneratedRegex(@"const\s+string\s+(\w+)\s*=\s*$")]
    private static partial Regex ConstantName();

    // The code writes SQL in lower case; "Delete a lesson" is a summary, not a statement.
    [GeneratedRegex(@"^\s*(select|insert|update|delete|with)\s")]
    private static partial Regex StartsAStatement();
}
