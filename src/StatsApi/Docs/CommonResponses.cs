using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using StatsApi.Http;
using StatsApi.Tokens;
using StatsApi.Auth;

namespace StatsApi.Docs;

/// <summary>
/// The error answers every operation shares, declared once in components with one example each, and
/// given to each operation by what its endpoint metadata says it does: authorised operations may answer
/// 401, 403, 406 and 429; a body brings 400, 413 and 415; an id in the path 404; a write 409; a versioned
/// update 412; an Idempotency-Key 422; the database 503. Headers (X-Request-Id on every answer, ETag,
/// Cache-Control, Location, Retry-After) are declared the same way; the RateLimit fields are RateLimiting's.
/// What an operation answers on success, and the 304 of a revalidated read, its handler's result types say.
/// </summary>
internal static class CommonResponses
{
    public const string RequestIdHeader = "X-Request-Id";
    private const string AnswerETag = "AnswerETag";
    private const string ProblemJson = "application/problem+json";

    private sealed record Shared(string Name, string Description, string Schema, string Example, params string[] Headers);

    private static readonly Dictionary<int, Shared> ByStatus = new()
    {
        [400] = new("BadRequest",
            "The request is malformed: a parameter or body field is missing or invalid (validation_failed, with errors naming each field), " +
            "or the request did not arrive over HTTPS (https_required).",
            "HttpValidationProblemDetails",
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"The request is invalid.","status":400,"detail":"One or more fields are invalid: from.","instance":"/stats/v1/attendance/summary","errors":{"from":["from must not be after to."]},"error_code":"validation_failed","developer_message":"from must not be after to."}"""),
        [401] = new("Unauthorized",
            "No access token (missing_token), or one that is expired (token_expired), revoked (token_revoked), sent without the client_secret " +
            "it was exchanged with (invalid_client_secret) or otherwise invalid (invalid_token). WWW-Authenticate says which, as RFC 6750 asks.",
            "ProblemDetails",
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.2","title":"Authentication is required.","status":401,"detail":"The access token has expired; request a new one.","instance":"/stats/v1/attendance/summary","error_code":"token_expired","developer_message":"The access token has expired; request a new one."}""",
            "WWW-Authenticate"),
        [403] = new("Forbidden",
            "The token may not do this: it lacks the operation's scope (insufficient_scope), the school is not among its schools (school_not_approved), " +
            "the operation is a person's own (person_token_required), or a teacher's token names a course they do not teach (not_your_course).",
            "ProblemDetails",
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.4","title":"The school is not approved for this client.","status":403,"detail":"The school_id in the request is not among the schools this token is approved for.","instance":"/stats/v1/attendance/summary","error_code":"school_not_approved","developer_message":"The school_id in the request is not among the schools this token is approved for."}"""),
        [404] = new("NotFound",
            "The school has no such object ({what}_not_found: lesson_not_found, course_not_found, user_not_found, student_not_found, " +
            "teacher_not_found, mark_not_found, enrolment_not_found, api_token_not_found, client_not_found, school_not_found). " +
            "An id of another school answers the same.",
            "ProblemDetails",
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"The lesson was not found.","status":404,"detail":"The school has no lesson 999999.","instance":"/v1/schools/oakwood-primary/lessons/999999","error_code":"lesson_not_found","developer_message":"The school has no lesson 999999."}"""),
        [406] = new("NotAcceptable",
            "Accept admits neither application/json nor application/problem+json (not_acceptable): accept one of them, or send no Accept.",
            "ProblemDetails",
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.7","title":"No acceptable representation.","status":406,"detail":"This operation answers application/json (application/problem+json for errors); Accept admits neither: 'text/html'.","instance":"/stats/v1/attendance/summary","error_code":"not_acceptable","developer_message":"Send Accept: application/json, or no Accept header."}"""),
        [409] = new("Conflict",
            "The request collides with what is stored: a unique value is taken (code_taken, email_taken), the lesson has attendance " +
            "(lesson_has_attendance), a limit is reached (too_many_api_tokens), the Idempotency-Key was applied to a request whose answer " +
            "held a secret (idempotency_key_applied), or a concurrent change won (write_conflict, reference_changed: retry after Retry-After).",
            "ProblemDetails",
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.10","title":"The request conflicts with the stored data.","status":409,"detail":"Another course of the school has this code.","instance":"/v1/schools/oakwood-primary/courses","errors":{"code":["Another course of the school has this code."]},"error_code":"code_taken","developer_message":"Another course of the school has this code."}""",
            "Retry-After"),
        [410] = new("Gone",
            "The detail asked for was deleted under the school's retention policy (detail_expired): one student's marks are kept from the day errors names on.",
            "ProblemDetails",
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.11","title":"The detail of those days has expired.","status":410,"detail":"The school keeps one student's marks from 2025-09-01 on; older marks were deleted under its retention policy and count only in the school's totals.","instance":"/stats/v1/attendance/summary","errors":{"from":["from must be 2025-09-01 or later for one student's marks."]},"error_code":"detail_expired","developer_message":"Ask from 2025-09-01 or later; summaries not filtered by student_id still count the expired days."}"""),
        [412] = new("PreconditionFailed",
            "If-Match names a version that is no longer current (stale_version): read the object again and reapply the change.",
            "ProblemDetails",
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.13","title":"The lesson has changed since it was read.","status":412,"detail":"If-Match does not name the lesson's current version: read it again (its ETag) and reapply the change.","instance":"/v1/schools/oakwood-primary/lessons/318","error_code":"stale_version","developer_message":"If-Match does not name the lesson's current version: read it again (its ETag) and reapply the change."}"""),
        [413] = new("PayloadTooLarge",
            "The body is larger than the service accepts, 1 MiB (payload_too_large).",
            "ProblemDetails",
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.14","title":"The request body is too large.","status":413,"detail":"The body may be at most 1048576 bytes.","instance":"/v1/schools/oakwood-primary/lessons","error_code":"payload_too_large","developer_message":"The body may be at most 1048576 bytes."}"""),
        [415] = new("UnsupportedMediaType",
            "The body is not application/json (unsupported_media_type).",
            "ProblemDetails",
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.16","title":"Unsupported Media Type","status":415,"instance":"/v1/schools/oakwood-primary/lessons","error_code":"unsupported_media_type","developer_message":"Unsupported Media Type"}"""),
        [422] = new("UnprocessableContent",
            "The request is well formed, but a field names something that cannot serve: a student where a teacher is needed (not_a_teacher, " +
            "not_a_student), a deactivated person (user_deactivated), a course without a teacher (teacher_required), a student outside the " +
            "lesson's course (student_not_in_lesson); or the Idempotency-Key was used for another request (idempotency_key_reused).",
            "ProblemDetails",
            """{"type":"https://tools.ietf.org/html/rfc4918#section-11.2","title":"The request cannot be applied.","status":422,"detail":"User 22 is a student, not a teacher.","instance":"/v1/schools/oakwood-primary/courses","errors":{"teacher_id":["User 22 is a student, not a teacher."]},"error_code":"not_a_teacher","developer_message":"User 22 is a student, not a teacher."}"""),
        [428] = new("PreconditionRequired",
            "The operation needs If-Match here (precondition_required): deleting a lesson with attendance does.",
            "ProblemDetails",
            """{"title":"If-Match is required.","status":428,"detail":"The lesson has 20 attendance marks: send If-Match with its ETag to delete them with it.","instance":"/v1/schools/oakwood-primary/lessons/318","error_code":"precondition_required","developer_message":"The lesson has 20 attendance marks: send If-Match with its ETag to delete them with it."}"""),
        [429] = new("TooManyRequests",
            "A quota of the client's tier is spent: its requests (rate_limited) or the summed cost of its operations (quota_exceeded; each operation's " +
            "is its x-rate-limit-cost). Wait the seconds in Retry-After. RateLimit and RateLimit-Policy tell the quotas and what is left of them.",
            "ProblemDetails",
            """{"type":"https://tools.ietf.org/html/rfc6585#section-4","title":"Too many requests.","status":429,"detail":"The client's request quota is spent; retry after the delay in Retry-After.","instance":"/stats/v1/attendance/summary","error_code":"rate_limited","developer_message":"The client's request quota is spent; retry after the delay in Retry-After."}""",
            "Retry-After", "RateLimit", "RateLimit-Policy"),
        [503] = new("ServiceUnavailable",
            "The database did not answer in time (database_unavailable): retry after the seconds in Retry-After.",
            "ProblemDetails",
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.6.4","title":"The service is briefly unavailable.","status":503,"detail":"The database did not answer; retry after the delay in Retry-After.","instance":"/stats/v1/attendance/summary","error_code":"database_unavailable","developer_message":"The database did not answer; retry after the delay in Retry-After."}""",
            "Retry-After"),
    };

    // Name: the header's, when the component's differs (two meanings of ETag).
    private sealed record Header(string Description, JsonSchemaType Type, JsonNode Example, bool Required = false, string? Name = null);

    private static readonly Dictionary<string, Header> Headers = new()
    {
        [RequestIdHeader] = new("The request's id: the caller's own when it sent a sane one, otherwise the service's. Quote it to support; logs carry it.",
            JsonSchemaType.String, ExampleValues.RequestId, Required: true),
        ["ETag"] = new("The object's version, for If-Match on its next update or delete.", JsonSchemaType.String, "\"v1\"", Required: true),
        [AnswerETag] = new("The answer's version: sent in If-None-Match, it is answered 304 Not Modified for as long as the answer would be the same.",
            JsonSchemaType.String, Examples.AnswerETag, Required: true, Name: "ETag"),
        ["Cache-Control"] = new("private, no-cache: a cache may keep the answer for this caller alone, and must revalidate it (If-None-Match) before each use.",
            JsonSchemaType.String, "private, no-cache", Required: true),
        ["Location"] = new("The created object's path.", JsonSchemaType.String, "/v1/schools/oakwood-primary/lessons/318", Required: true),
        ["Idempotent-Replayed"] = new("true when this is the stored answer to an earlier request with the same Idempotency-Key.", JsonSchemaType.String, "true"),
        ["WWW-Authenticate"] = new("The Bearer challenge (RFC 6750): error=\"invalid_token\" and a description when a token was sent, none when none was.",
            JsonSchemaType.String, Challenges.Bearer + ", error=\"invalid_token\", error_description=\"The access token has expired; request a new one.\"", Required: true),
        // Sent by 409 write_conflict and reference_changed only, so not required of every 409. RateLimit and RateLimit-Policy are RateLimiting's.
        ["Retry-After"] = new("Seconds until the request would be served.", JsonSchemaType.Integer, 5),
    };

    private static Dictionary<string, IOpenApiParameter> RequestHeaders()
    {
        var headers = new Dictionary<string, IOpenApiParameter>
        {
            ["If-Match"] = new OpenApiParameter
            {
                Name = "If-Match",
                In = ParameterLocation.Header,
                Description = "The ETag of the version read: the change applies only to that version (412 otherwise).",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            },
            ["If-None-Match"] = new OpenApiParameter
            {
                Name = "If-None-Match",
                In = ParameterLocation.Header,
                Description = "The ETag of an answer held: 304 Not Modified, without a body, while the answer would still be the same; the answer otherwise. " +
                    "Compared weakly, as RFC 9110 says, and * matches any answer; a value that does not parse matches none. Refusals and errors are answered as without it.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            },
            ["Idempotency-Key"] = new OpenApiParameter
            {
                Name = "Idempotency-Key",
                In = ParameterLocation.Header,
                Description = "A key of the caller's choosing, such as a UUID, that makes a retry of this POST safe: for 24 hours the same key and request answer as the first time.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255 },
            },
        };
        foreach (var parameter in headers.Values.OfType<OpenApiParameter>())
        {
            Examples.Apply(parameter, null);
        }
        return headers;
    }

    public static async Task DescribeAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        foreach (var type in new[] { typeof(ProblemDetails), typeof(HttpValidationProblemDetails) })
        {
            if (!document.Components.Schemas.ContainsKey(type.Name))
            {
                document.Components.Schemas[type.Name] = await context.GetOrCreateSchemaAsync(type, cancellationToken: cancellationToken);
            }
        }
        // Beside those of other owners (the rate limits' own headers), whichever transformer runs first.
        document.Components.Headers ??= new Dictionary<string, IOpenApiHeader>();
        foreach (var (name, header) in Headers)
        {
            document.Components.Headers[name] = new OpenApiHeader
            {
                Description = header.Description,
                Required = header.Required,
                Schema = new OpenApiSchema { Type = header.Type },
                Example = header.Example.DeepClone(),
            };
        }
        document.Components.Parameters = RequestHeaders();
        document.Components.Responses = ByStatus.Values.ToDictionary(s => s.Name, s => (IOpenApiResponse)new OpenApiResponse
        {
            Description = s.Description,
            Headers = HeadersOf(document, [RequestIdHeader, .. s.Headers]),
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemJson] = new()
                {
                    Schema = new OpenApiSchemaReference(s.Schema, document),
                    Example = WithRequestId(JsonNode.Parse(s.Example)!),
                },
            },
        });
    }

    public static void Apply(OpenApiOperation operation, ApiDescription description, OpenApiDocument document)
    {
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var method = description.HttpMethod ?? "GET";
        var isWrite = !HttpMethods.IsGet(method);
        // The token endpoints answer RFC 6749's own error body, declared where they are mapped.
        var oauth = metadata.OfType<IProducesResponseTypeMetadata>().Any(p => p.Type == typeof(OAuthError));
        var authorized = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        var versioned = metadata.OfType<OperationDocs.Versioned>().Any();
        var idempotent = metadata.OfType<OperationDocs.Idempotent>().Any();
        var revalidated = metadata.OfType<OperationDocs.Revalidated>().Any();

        operation.Parameters ??= [];
        if (revalidated)
        {
            operation.Parameters.Add(new OpenApiParameterReference("If-None-Match", document));
        }
        if (versioned && (HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method)))
        {
            operation.Parameters.Add(new OpenApiParameterReference("If-Match", document));
        }
        if (idempotent)
        {
            operation.Parameters.Add(new OpenApiParameterReference("Idempotency-Key", document));
        }

        var statuses = new SortedSet<int>();
        if (!oauth)
        {
            if (operation.RequestBody is not null || operation.Parameters.Count > 0)
            {
                statuses.Add(400);
            }
            if (operation.RequestBody is not null)
            {
                statuses.UnionWith([413, 415]);
            }
            // An id in the path may name nothing; a school the token holds exists, or its lists are merely empty.
            if (operation.Parameters.OfType<OpenApiParameter>().Any(p => p.In == ParameterLocation.Path && p.Name != SchoolScope.Parameter))
            {
                statuses.Add(404);
            }
            if (isWrite)
            {
                statuses.Add(409);
            }
            if (versioned && isWrite && !HttpMethods.IsPost(method))
            {
                statuses.Add(412);
            }
            if (idempotent)
            {
                statuses.Add(422);
            }
        }
        if (authorized)
        {
            statuses.UnionWith([401, 403, 406]);
        }
        if (authorized || oauth)
        {
            statuses.Add(429);
        }
        if (!metadata.OfType<OperationDocs.FromMemory>().Any())
        {
            statuses.Add(503);
        }

        operation.Responses ??= [];
        foreach (var status in statuses)
        {
            operation.Responses.TryAdd(status.ToString(System.Globalization.CultureInfo.InvariantCulture), null!);
        }
        // In order of status, however they were declared.
        var declared = operation.Responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        operation.Responses.Clear();
        foreach (var (code, response) in declared)
        {
            operation.Responses[code] = response;
            var status = int.Parse(code, System.Globalization.CultureInfo.InvariantCulture);
            if (ByStatus.TryGetValue(status, out var shared) && (response is null || response.Content?.ContainsKey(ProblemJson) != false))
            {
                operation.Responses[code] = new OpenApiResponseReference(shared.Name, document);
                continue;
            }
            if (response is not OpenApiResponse own)
            {
                continue;
            }
            var headers = new List<string> { RequestIdHeader };
            if (status is 200 or 201 && versioned)
            {
                headers.Add("ETag");
            }
            if (status == 201 && metadata.OfType<OperationDocs.CreatesAtLocation>().Any())
            {
                headers.Add("Location");
            }
            if (status is >= 200 and < 300 && idempotent)
            {
                headers.Add("Idempotent-Replayed");
            }
            if (status is 200 or 304 && revalidated)
            {
                headers.AddRange([AnswerETag, "Cache-Control"]);
            }
            if (status == 304)
            {
                own.Description = "Not Modified: If-None-Match names the answer's current ETag (or is *). No body.";
            }
            own.Headers ??= new Dictionary<string, IOpenApiHeader>();
            foreach (var (name, header) in HeadersOf(document, headers))
            {
                own.Headers[name] = header;
            }
        }
    }

    private static Dictionary<string, IOpenApiHeader> HeadersOf(OpenApiDocument? document, IEnumerable<string> names) =>
        names.ToDictionary(n => Headers.GetValueOrDefault(n)?.Name ?? n, n => (IOpenApiHeader)new OpenApiHeaderReference(n, document));

    private static JsonNode WithRequestId(JsonNode example)
    {
        example["request_id"] = ExampleValues.RequestId;
        return example;
    }
}
