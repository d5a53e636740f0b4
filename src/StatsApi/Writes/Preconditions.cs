using System.Globalization;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace StatsApi.Writes;

/// <summary>
/// Entity tags from versions; RFC 9110 If-Match on updates and deletes, and If-None-Match on reads
/// whose answer is one of many of the same version (a query's).
/// </summary>
internal static class Preconditions
{
    public static string ETagOf(long version) => $"\"v{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>The tag of one answer of a version, named by a digest of the question, so no other question's answer matches it.</summary>
    public static string ETagOf(long version, string answer) => $"\"v{version.ToString(CultureInfo.InvariantCulture)}-{answer}\"";

    /// <summary>Null when the request sent no If-Match; otherwise whether it matches the current version (strong comparison).</summary>
    public static bool? IfMatch(HttpRequest request, long currentVersion) =>
        request.Headers.IfMatch.Count == 0 ? null : Matches(request.Headers.IfMatch, ETagOf(currentVersion), strong: true);

    /// <summary>
    /// Whether If-None-Match names the current tag, with RFC 9110's weak comparison, or is *: then a read
    /// answers 304. A header that is absent or does not parse matches nothing.
    /// </summary>
    public static bool IfNoneMatch(HttpRequest request, string currentETag) =>
        request.Headers.IfNoneMatch.Count > 0 && Matches(request.Headers.IfNoneMatch, currentETag, strong: false);

    /// <summary>
    /// The version named by the first If-None-Match tag of this answer, or null: the version the caller
    /// holds, whose answer a reader need not compute again if it is still current.
    /// </summary>
    public static long? IfNoneMatchVersion(HttpRequest request, string answer)
    {
        if (request.Headers.IfNoneMatch.Count == 0 || !EntityTagHeaderValue.TryParseList(request.Headers.IfNoneMatch, out var tags))
        {
            return null;
        }
        foreach (var tag in tags)
        {
            var text = tag.Tag.AsSpan();
            var dash = text.IndexOf('-');
            // Formatted again and compared whole, so that only a tag this service would make names a version.
            if (text.StartsWith("\"v") && dash > 2
                && long.TryParse(text[2..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var version)
                && tag.Tag.Equals(ETagOf(version, answer), StringComparison.Ordinal))
            {
                return version;
            }
        }
        return null;
    }

    private static bool Matches(StringValues header, string currentETag, bool strong)
    {
        if (!EntityTagHeaderValue.TryParseList(header, out var tags))
        {
            return false;
        }
        var current = new EntityTagHeaderValue(currentETag);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(current, useStrongComparison: strong));
    }
}
