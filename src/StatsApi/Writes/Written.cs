using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace StatsApi.Writes;

/// <summary>
/// The answer to a write, as first given or as replayed for a retry with the same Idempotency-Key:
/// its status, its JSON body and the headers that name what was written.
/// </summary>
public sealed class Written : IResult
{
    public const string ReplayedHeader = "Idempotent-Replayed";

    private Written(int status, string? json, string? location, string? etag, bool replayed)
    {
        Status = status;
        Json = json;
        Location = location;
        ETag = etag;
        Replayed = replayed;
    }

    public int Status { get; }

    public string? Json { get; }

    public string? Location { get; }

    public string? ETag { get; }

    public bool Replayed { get; }

    public static Written Of<T>(HttpContext http, int status, T? body, string? location = null, string? etag = null) where T : class
    {
        var options = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return new Written(status, body is null ? null : JsonSerializer.Serialize(body, options), location, etag, replayed: false);
    }

    /// <summary>The same answer with no body: what is stored of an answer that shows a secret.</summary>
    public Written WithoutBody() => new(Status, null, Location, ETag, Replayed);

    public static Written Replay(int status, string? json, string? location, string? etag) =>
        new(status, json, location, etag, replayed: true);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = Status;
        if (Location is not null)
        {
            response.Headers.Location = Location;
        }
        if (ETag is not null)
        {
            response.Headers.ETag = ETag;
        }
        if (Replayed)
        {
            response.Headers[ReplayedHeader] = "true";
        }
        if (Json is not null)
        {
            response.ContentType = "application/json; charset=utf-8";
            await response.WriteAsync(Json, httpContext.RequestAborted);
        }
    }
}
