namespace StatsApi.Http;

/// <summary>The error_code a request was answered with, kept for its log line and the auth-failure counter.</summary>
internal sealed record AnsweredError(string Code)
{
    public static void Record(HttpContext http, string code) => http.Features.Set(new AnsweredError(code));

    public static string? Of(HttpContext http) => http.Features.Get<AnsweredError>()?.Code;
}
