using Microsoft.AspNetCore.Http.HttpResults;
using StatsApi.Http;

namespace StatsApi.Tokens;

/// <summary>An RFC 6749 error response (section 5.2), with the request id that support looks the request up by.</summary>
[Example("""{"error":"invalid_client","error_description":"The client is unknown, revoked, or the secret is wrong.","request_id":"0af7651916cd43dd8448eb211c80319c"}""")]
public sealed record OAuthError(string Error, string ErrorDescription, string RequestId);

/// <summary>Why a token request fails: the status and the RFC 6749 error it answers with.</summary>
public sealed record OAuthFailure(int Status, string Error, string Description)
{
    public static OAuthFailure InvalidRequest(string description) => new(StatusCodes.Status400BadRequest, "invalid_request", description);

    /// <summary>The error's answer, recorded for the request log.</summary>
    public JsonHttpResult<OAuthError> Answer(HttpContext http)
    {
        AnsweredError.Record(http, Error);
        return TypedResults.Json(new OAuthError(Error, Description, http.TraceIdentifier), statusCode: Status);
    }
}
