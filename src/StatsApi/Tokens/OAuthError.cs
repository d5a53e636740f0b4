using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using StatsApi.Http;

namespace StatsApi.Tokens;

/// <summary>An RFC 6749 error response (section 5.2), with the request id that support looks the request up by.</summary>
[Example("""{"error":"invalid_client","error_description":"The client is unknown, revoked, or the secret is wrong.","request_id":"0af7651916cd43dd8448eb211c80319c"}""")]
internal sealed record OAuthError(string Error, string ErrorDescription, string RequestId);

/// <summary>Why a token request fails: the status and the RFC 6749 error it answers with.</summary>
internal sealed record OAuthFailure(int Status, string Error, string Description)
{
    public static OAuthFailure InvalidRequest(string description) => new(StatusCodes.Status400BadRequest, "invalid_request", description);

    /// <summary>The error's answer, recorded for the request log.</summary>
    public OAuthErrorAnswer Answer(HttpContext http)
    {
        AnsweredError.Record(http, Error);
        return new OAuthErrorAnswer(Status, new OAuthError(Error, Description, http.TraceIdentifier));
    }

    /// <summary>The answer's body as the contract shows it, with the request id every example carries.</summary>
    public JsonObject ExampleBody() => new()
    {
        ["error"] = Error,
        ["error_description"] = Description,
        ["request_id"] = ExampleValues.RequestId,
    };
}

/// <summary>
/// A token endpoint's error answer: RFC 6749's body at its status. It describes itself in the contract as the
/// statuses a token request fails with: 400 (a request refused), 401 (invalid_client) and 413 (a body over the
/// server's limit). The 429 of too many failed attempts is the limiter's (RateLimiting).
/// </summary>
internal sealed class OAuthErrorAnswer : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<OAuthError>, IEndpointMetadataProvider
{
    private static readonly int[] Statuses =
        [StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status413PayloadTooLarge];

    internal OAuthErrorAnswer(int status, OAuthError value)
    {
        StatusCode = status;
        Value = value;
    }

    public int StatusCode { get; }

    public OAuthError Value { get; }

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    object? IValueHttpResult.Value => Value;

    public Task ExecuteAsync(HttpContext httpContext) => TypedResults.Json(Value, statusCode: StatusCode).ExecuteAsync(httpContext);

    static void IEndpointMetadataProvider.PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        foreach (var status in Statuses)
        {
            builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(OAuthError), ["application/json"]));
        }
    }
}
