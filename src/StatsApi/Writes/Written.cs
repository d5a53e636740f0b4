using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace StatsApi.Writes;

/// <summary>
/// The answer to a write, as first given or as replayed for a retry with the same Idempotency-Key:
/// its status, its JSON body and the headers that name what was written.
/// </summary>
internal class Written : IResult
{
    public const string ReplayedHeader = "Idempotent-Replayed";

    private protected Written(int status, string? json, string? location, string? etag, bool replayed)
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

    /// <summary>201 with what was created, where it is and its version.</summary>
    public static Written<Created<T>> Created<T>(HttpContext http, T body, string? location = null, string? etag = null) where T : class =>
        Of<Created<T>>(http, StatusCodes.Status201Created, body, location, etag);

    /// <summary>200 with the object as it now is, and its version.</summary>
    public static Written<Ok<T>> Ok<T>(HttpContext http, T body, string? etag = null) where T : class =>
        Of<Ok<T>>(http, StatusCodes.Status200OK, body, etag: etag);

    /// <summary>204: the object is gone.</summary>
    public static Written<NoContent> NoContent() => new(new Written(StatusCodes.Status204NoContent, null, null, null, replayed: false));

    /// <summary>An answer of one of the statuses TAnswer documents, for a write that answers with more than one.</summary>
    public static Written<TAnswer> Of<TAnswer>(HttpContext http, int status, object body, string? location = null, string? etag = null)
        where TAnswer : IResult, IEndpointMetadataProvider
    {
        var options = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return new(new Written(status, JsonSerializer.Serialize(body, body.GetType(), options), location, etag, replayed: false));
    }

    /// <summary>The same answer with no body: what is stored of an answer that shows a secret.</summary>
    public Written WithoutBody() => new(Status, null, Location, ETag, Replayed);

    public static Written Replay(int status, string? json, string? location, string? etag) =>
        new(status, json, location, etag, replayed: true);

    /// <summary>The problem a write refused with, which answers in place of what it would have written.</summary>
    private protected virtual IResult? Refusal => null;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        if (Refusal is { } refusal)
        {
            await refusal.ExecuteAsync(httpContext);
            return;
        }
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

/// <summary>
/// A write's answer that describes itself in the contract as <typeparamref name="TAnswer"/>: the framework's
/// result of the same statuses and body (<see cref="Created{TValue}"/>, <see cref="Ok{TValue}"/>,
/// <see cref="NoContent"/>, or a <see cref="Results{TResult1, TResult2}"/> of them). The answer itself is
/// the <see cref="Written"/> one, which an Idempotency-Key can replay.
/// A write that refuses returns its problem instead (it converts to this type, so a write's code returns
/// either); <see cref="SchoolWrites"/> then rolls the transaction back and answers with the problem.
/// </summary>
internal sealed class Written<TAnswer> : Written, IEndpointMetadataProvider where TAnswer : IResult, IEndpointMetadataProvider
{
    internal Written(Written answer) : base(answer.Status, answer.Json, answer.Location, answer.ETag, answer.Replayed)
    {
    }

    private Written(ProblemHttpResult? problem, ValidationProblem? invalid)
        : base(problem?.StatusCode ?? StatusCodes.Status400BadRequest, null, null, null, replayed: false)
    {
        Problem = problem;
        Invalid = invalid;
    }

    /// <summary>The problem the write refused with, if it did.</summary>
    internal ProblemHttpResult? Problem { get; }

    /// <summary>The fields the write found invalid, if it refused for them.</summary>
    internal ValidationProblem? Invalid { get; }

    internal bool Refused => Problem is not null || Invalid is not null;

    private protected override IResult? Refusal => (IResult?)Problem ?? Invalid;

    public static implicit operator Written<TAnswer>(ProblemHttpResult refusal) => new(refusal, null);

    public static implicit operator Written<TAnswer>(ValidationProblem refusal) => new(null, refusal);

    static void IEndpointMetadataProvider.PopulateMetadata(MethodInfo method, EndpointBuilder builder) => TAnswer.PopulateMetadata(method, builder);
}
