using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;
using StatsApi.Docs;

namespace StatsApi.Writes;

/// <summary>
/// 304 Not Modified, without a body: If-None-Match names the answer's current tag (<see cref="Preconditions.IfNoneMatch"/>).
/// It describes itself in the contract: the 304, and the read's If-None-Match, ETag and Cache-Control.
/// </summary>
internal sealed class NotModified : IResult, IStatusCodeHttpResult, IEndpointMetadataProvider
{
    private NotModified()
    {
    }

    public static NotModified Answer { get; } = new();


    int? IStatusCodeHttpResult.StatusCode => StatusCodes.Status304NotModified;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCodes.Status304NotModified;
        return Task.CompletedTask;
    }

    static void IEndpointMetadataProvider.PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status304NotModified, typeof(void)));
        builder.Metadata.Add(new OperationDocs.Revalidated());
    }
}
