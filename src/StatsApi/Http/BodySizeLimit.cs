using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace StatsApi.Http;

/// <summary>
/// A body declared larger than the server accepts is refused with 413 before the framework binds it: its
/// JSON binding would otherwise report Kestrel's refusal as an unreadable body (400). Endpoints that read
/// their own bodies (the token endpoint) answer for themselves.
/// </summary>
internal sealed class BodySizeLimit(RequestDelegate next, IOptions<KestrelServerOptions> kestrel)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // The server's limit for this request, or the configured one where the server enforces none (an in-process host).
        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? kestrel.Value.Limits.MaxRequestBodySize;
        var bindsBody = context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is not null;
        if (bindsBody && context.Request.ContentLength is { } length && limit is { } max && length > max)
        {
            await Problems.Create(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "The request body is too large.",
                $"The body may be at most {max} bytes.").ExecuteAsync(context);
            return;
        }
        await next(context);
    }
}
