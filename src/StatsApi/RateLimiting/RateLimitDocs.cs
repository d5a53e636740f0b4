using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using StatsApi.Tokens;

namespace StatsApi.RateLimiting;

/// <summary>The rate limits in the OpenAPI document: each operation's cost, its 429, and the RateLimit headers.</summary>
internal static class RateLimitDocs
{
    public const string CostExtension = "x-rate-limit-cost";

    public static Task DescribeHeadersAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Headers ??= new Dictionary<string, IOpenApiHeader>();
        document.Components.Headers[RateLimitHeaders.Current] = Header(
            "What is left of each quota (r) and the seconds until it is whole again (t), e.g. \"requests\";r=599;t=1, \"cost\";r=1495;t=1. On a 429, t of the quota that refused is the Retry-After.");
        document.Components.Headers[RateLimitHeaders.Policy] = Header(
            "The caller's quotas (draft-ietf-httpapi-ratelimit-headers): requests and cost, q per w seconds, e.g. \"requests\";q=600;w=60, \"cost\";q=1500;w=60.");
        // Retry-After, which 409 and 503 send too, is one of the headers every answer shares (Docs.CommonResponses).
        return Task.CompletedTask;
    }

    public static Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        operation.Responses ??= [];
        if (metadata.OfType<FailedAttemptsLimited>().Any())
        {
            operation.Description = Append(operation.Description,
                "Failed attempts (invalid_client, invalid_grant) are limited per address and per client id: past the limit, 429 with error slow_down and Retry-After.");
            operation.Responses["429"] = new OpenApiResponse
            {
                Description = "Too many failed attempts from this address, or against this client id from any (error slow_down): wait the seconds in Retry-After.",
                Headers = new Dictionary<string, IOpenApiHeader> { ["Retry-After"] = new OpenApiHeaderReference("Retry-After", context.Document) },
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new()
                    {
                        Schema = new OpenApiSchemaReference(nameof(OAuthError), context.Document),
                        Example = FailedTokenRequestLimiter.SlowDown(5).ExampleBody(),
                    },
                },
            };
            return Task.CompletedTask;
        }
        if (!TierLimiter.IsLimited(metadata))
        {
            return Task.CompletedTask;
        }
        var cost = metadata.OfType<OperationCost>().LastOrDefault()?.Units ?? OperationCosts.Lookup;
        operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        operation.Extensions[CostExtension] = new JsonNodeExtension(JsonValue.Create(cost));
        operation.Description = Append(operation.Description,
            $"Rate limits: one request and a cost of {cost} from the caller's tier quotas.");
        foreach (var (status, response) in operation.Responses)
        {
            if ((status.StartsWith('2') || status == "304") && response is OpenApiResponse success)
            {
                success.Headers ??= new Dictionary<string, IOpenApiHeader>();
                AddQuotaHeaders(success.Headers, context.Document);
            }
        }
        // The 429 itself, with both of its error codes, is the shared TooManyRequests answer (Docs.CommonResponses).
        return Task.CompletedTask;
    }

    private static void AddQuotaHeaders(IDictionary<string, IOpenApiHeader> headers, OpenApiDocument? document)
    {
        headers[RateLimitHeaders.Policy] = new OpenApiHeaderReference(RateLimitHeaders.Policy, document);
        headers[RateLimitHeaders.Current] = new OpenApiHeaderReference(RateLimitHeaders.Current, document);
    }

    private static OpenApiHeader Header(string description) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };

    private static string Append(string? description, string sentence) =>
        string.IsNullOrEmpty(description) ? sentence : $"{description} {sentence}";
}
