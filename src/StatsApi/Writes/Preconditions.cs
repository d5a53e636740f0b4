using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace StatsApi.Writes;

/// <summary>Entity tags from row versions, and RFC 9110 If-Match on updates and deletes.</summary>
public static class Preconditions
{
    public static string ETagOf(long version) => $"\"v{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>Null when the request sent no If-Match; otherwise whether it matches the current version (strong comparison).</summary>
    public static bool? IfMatch(HttpRequest request, long currentVersion)
    {
        var header = request.Headers.IfMatch;
        if (header.Count == 0)
        {
            return null;
        }
        if (!EntityTagHeaderValue.TryParseList(header, out var tags))
        {
            return false;
        }
        var current = new EntityTagHeaderValue(ETagOf(currentVersion));
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(current, useStrongComparison: true));
    }
}
