using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace StatsApi.Http;

/// <summary>
/// A problem body written straight to the response with its fixed parts escaped once, for the refusals
/// that no-SQL requests end in (401, 403, 429): the same bytes and headers that <see cref="Problems.Create"/>
/// and the problem details service write, without a ProblemDetails, its extension dictionary and the
/// serializer on every request. The parts that differ per request (instance, trace and request ids) are
/// written as they come.
/// </summary>
internal sealed class ProblemBody
{
    private const string ContentType = "application/problem+json";

    // The escaping of ASP.NET Core's HTTP JSON options, which the service leaves as they come.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private static readonly JsonEncodedText TypeName = Name("type");
    private static readonly JsonEncodedText TitleName = Name("title");
    private static readonly JsonEncodedText StatusName = Name("status");
    private static readonly JsonEncodedText DetailName = Name("detail");
    private static readonly JsonEncodedText InstanceName = Name("instance");
    private static readonly JsonEncodedText ErrorCodeName = Name(Problems.ErrorCode);
    private static readonly JsonEncodedText DeveloperMessageName = Name(Problems.DeveloperMessage);
    private static readonly JsonEncodedText TraceIdName = Name("trace_id");
    private static readonly JsonEncodedText RequestIdName = Name("request_id");

    private readonly int _status;
    private readonly string _errorCode;
    private readonly JsonEncodedText? _type;
    private readonly JsonEncodedText _title;
    private readonly JsonEncodedText _detail;
    private readonly JsonEncodedText _errorCodeValue;
    private readonly JsonEncodedText _developerMessage;
    private readonly (string Title, string Detail, string? DeveloperMessage) _text;

    public ProblemBody(int status, string errorCode, string title, string detail, string? developerMessage = null)
    {
        _status = status;
        _errorCode = errorCode;
        _type = TypeOf(status) is { } type ? JsonEncodedText.Encode(type, Options.Encoder) : null;
        _title = JsonEncodedText.Encode(title, Options.Encoder);
        _detail = JsonEncodedText.Encode(detail, Options.Encoder);
        _errorCodeValue = JsonEncodedText.Encode(errorCode, Options.Encoder);
        _developerMessage = JsonEncodedText.Encode(developerMessage ?? detail, Options.Encoder);
        _text = (title, detail, developerMessage);
    }

    /// <summary>
    /// Writes the body. A request whose Accept names something else goes through the problem details
    /// service as before, which then decides what to write.
    /// </summary>
    public Task WriteAsync(HttpContext context)
    {
        if (!AcceptsJson(context.Request.Headers.Accept))
        {
            // A result of its own each time: the problem details service fills in the request's own fields.
            return Problems.Create(_status, _errorCode, _text.Title, _text.Detail, _text.DeveloperMessage).ExecuteAsync(context);
        }
        var response = context.Response;
        response.StatusCode = _status;
        response.ContentType = ContentType;
        AnsweredError.Record(context, _errorCode);
        using (var json = new Utf8JsonWriter(response.BodyWriter, Options))
        {
            json.WriteStartObject();
            if (_type is { } type)
            {
                json.WriteString(TypeName, type);
            }
            json.WriteString(TitleName, _title);
            json.WriteNumber(StatusName, _status);
            json.WriteString(DetailName, _detail);
            json.WriteString(InstanceName, context.Request.Path.ToString());
            json.WriteString(ErrorCodeName, _errorCodeValue);
            json.WriteString(DeveloperMessageName, _developerMessage);
            json.WriteString(TraceIdName, Activity.Current?.Id ?? context.TraceIdentifier);
            json.WriteString(RequestIdName, context.TraceIdentifier);
            json.WriteEndObject();
        }
        return response.BodyWriter.FlushAsync(context.RequestAborted).AsTask();
    }

    // What the problem details writer accepts without parsing: no Accept, or one of the media types it writes.
    private static bool AcceptsJson(Microsoft.Extensions.Primitives.StringValues accept) =>
        accept.Count == 0 || (accept.Count == 1 && accept[0] is "*/*" or "application/json" or "application/problem+json");

    private static JsonEncodedText Name(string name) => JsonEncodedText.Encode(name, Options.Encoder);

    // The RFC sections ASP.NET Core's problem details defaults name for each status this class writes; they name none for 429.
    private static string? TypeOf(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        StatusCodes.Status403Forbidden => "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        StatusCodes.Status429TooManyRequests => null,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Only the refusals 401, 403 and 429 are written directly."),
    };
}
