using System.ComponentModel;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace StatsApi.Paging;

/// <summary>One page of a list, in a stable order; next is the link to the following page, null on the last.</summary>
internal sealed record Page<T>(IReadOnlyList<T> Data, string? Next);

/// <summary>The paging part of a list's query string.</summary>
internal class PageQuery
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    [FromQuery(Name = "limit"), Description("Rows per page, 1 to 500; 50 when left out.")]
    public int? Limit { get; init; }

    [FromQuery(Name = "cursor"), Description("The position to continue from: the cursor in the previous page's next link.")]
    public string? Cursor { get; init; }

    public int Size => Limit ?? DefaultLimit;

    /// <summary>Adds an error per bad field; returns the decoded key (null for the first page).</summary>
    public TKey? Check<TKey>(Dictionary<string, string[]> errors) where TKey : class
    {
        if (Limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {MaxLimit}."];
        }
        if (Cursor is null)
        {
            return null;
        }
        if (Paging.Cursor.TryDecode<TKey>(Cursor, out var key))
        {
            return key;
        }
        errors["cursor"] = ["cursor is not a position in this list; use the next link of the previous page as it is."];
        return null;
    }

    /// <summary>
    /// The page of the rows read (up to Size + 1, the extra one only telling that more follow), with a
    /// link to the next page that keeps every other query parameter.
    /// </summary>
    public Page<T> ToPage<T, TKey>(HttpRequest request, IReadOnlyList<T> rows, Func<T, TKey> keyOf)
    {
        if (rows.Count <= Size)
        {
            return new Page<T>(rows, null);
        }
        var data = rows.Take(Size).ToList();
        var query = QueryHelpers.ParseQuery(request.QueryString.Value)
            .Where(p => p.Key is not "cursor")
            .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v)))
            .Append(new("cursor", Paging.Cursor.Encode(keyOf(data[^1]))));
        return new Page<T>(data, QueryHelpers.AddQueryString(request.PathBase + request.Path, query));
    }
}
