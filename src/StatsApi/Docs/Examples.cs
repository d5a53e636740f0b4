using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using StatsApi.Attendance;
using StatsApi.Courses;
using StatsApi.Lessons;
using StatsApi.Paging;
using StatsApi.PersonTokens;
using StatsApi.Schools;
using StatsApi.Tokens;
using StatsApi.Users;

namespace StatsApi.Docs;

/// <summary>
/// Examples in the contract, taken from the demo schools that scripts/run.sh loads (Oakwood's first course,
/// its teacher and its first lesson of the second week), so that Try it out on the docs page answers with data.
/// </summary>
public static class Examples
{
    public const string School = "oakwood-primary";
    private const string Instant = "2026-08-20T09:12:44Z";

    private static readonly Dictionary<Type, string> ByType = new()
    {
        [typeof(AttendanceSummary)] = """
            {"school_id":"oakwood-primary","from":"2026-09-01","to":"2026-09-30","course_id":null,"group_by":"week",
             "totals":{"records":35200,"present":31269,"absent":1285,"late":1746,"excused":900,"attendance_rate":0.9379},
             "groups":[
              {"key":"2026-W36","from":"2026-09-01","to":"2026-09-06","course_id":null,"course_code":null,"course_name":null,"counts":{"records":6340,"present":5731,"absent":182,"late":283,"excused":144,"attendance_rate":0.9486}},
              {"key":"2026-W37","from":"2026-09-07","to":"2026-09-13","course_id":null,"course_code":null,"course_name":null,"counts":{"records":8000,"present":7178,"absent":243,"late":423,"excused":156,"attendance_rate":0.9501}},
              {"key":"2026-W38","from":"2026-09-14","to":"2026-09-20","course_id":null,"course_code":null,"course_name":null,"counts":{"records":8000,"present":7127,"absent":274,"late":414,"excused":185,"attendance_rate":0.9426}},
              {"key":"2026-W39","from":"2026-09-21","to":"2026-09-27","course_id":null,"course_code":null,"course_name":null,"counts":{"records":8000,"present":6830,"absent":457,"late":407,"excused":306,"attendance_rate":0.9046}},
              {"key":"2026-W40","from":"2026-09-28","to":"2026-09-30","course_id":null,"course_code":null,"course_name":null,"counts":{"records":4860,"present":4403,"absent":129,"late":219,"excused":109,"attendance_rate":0.951}}],
             "teacher_id":null,"student_id":null}
            """,
        [typeof(AttendanceGroup)] = """{"key":"2026-W37","from":"2026-09-07","to":"2026-09-13","course_id":null,"course_code":null,"course_name":null,"counts":{"records":8000,"present":7178,"absent":243,"late":423,"excused":156,"attendance_rate":0.9501}}""",
        [typeof(AttendanceCounts)] = """{"records":8000,"present":7178,"absent":243,"late":423,"excused":156,"attendance_rate":0.9501}""",
        [typeof(SchoolResponse)] = $$"""{"school_id":"oakwood-primary","name":"Oakwood Primary School","time_zone":"Europe/London","created_at":"{{Instant}}"}""",
        [typeof(UserResponse)] = $$"""{"user_id":2,"school_id":"oakwood-primary","role":"teacher","given_name":"Ivy","family_name":"Johnson","email":"ivy.johnson.2@oakwood-primary.example","active":true,"created_at":"{{Instant}}","updated_at":"{{Instant}}"}""",
        [typeof(NewUserRequest)] = """{"role":"student","given_name":"Maya","family_name":"Okafor","email":"maya.okafor@oakwood-primary.example"}""",
        [typeof(UserChanges)] = """{"family_name":"Johnson-Reid"}""",
        [typeof(CourseResponse)] = $$"""{"course_id":1,"school_id":"oakwood-primary","code":"MATH-2A","name":"Mathematics 2A","teacher_id":2,"created_at":"{{Instant}}","updated_at":"{{Instant}}"}""",
        [typeof(NewCourseRequest)] = """{"code":"MUS-2A","name":"Music 2A","teacher_id":2}""",
        [typeof(CourseChanges)] = """{"name":"Mathematics 2A (set 1)"}""",
        [typeof(EnrolmentResponse)] = """{"course_id":1,"student_id":22,"enrolled_on":"2026-09-01"}""",
        [typeof(EnrolmentRequest)] = """{"enrolled_on":"2026-09-01"}""",
        [typeof(LessonResponse)] = $$"""{"lesson_id":318,"school_id":"oakwood-primary","course_id":1,"teacher_id":2,"starts_at":"2026-09-07T07:50:00+00:00","ends_at":"2026-09-07T08:40:00+00:00","room":"M1","marks":20,"created_at":"{{Instant}}","updated_at":"{{Instant}}"}""",
        [typeof(NewLessonRequest)] = """{"course_id":1,"starts_at":"2026-11-23T09:00:00+00:00","ends_at":"2026-11-23T09:50:00+00:00","room":"B2"}""",
        [typeof(LessonChanges)] = """{"room":"M2"}""",
        [typeof(RecordAttendanceRequest)] = """{"marks":[{"student_id":22,"status":"present"},{"student_id":23,"status":"late"},{"student_id":24,"status":"absent"}]}""",
        [typeof(MarkInput)] = """{"student_id":22,"status":"present"}""",
        [typeof(RecordAttendanceResponse)] = """{"lesson_id":318,"created":0,"updated":2,"unchanged":1}""",
        [typeof(MarkResponse)] = """{"lesson_id":318,"student_id":22,"status":"present","recorded_by":2,"recorded_at":"2026-09-07T08:50:00Z"}""",
        [typeof(MarkChange)] = """{"status":"excused"}""",
        [typeof(StudentMarkResponse)] = """{"lesson_id":1,"course_id":1,"teacher_id":2,"starts_at":"2026-09-01T07:50:00+00:00","status":"present","recorded_at":"2026-09-01T08:50:00Z"}""",
        [typeof(TokenRequestBody)] = """{"grant_type":"client_credentials","scope":"attendance:read schools:read"}""",
        [typeof(TokenResponse)] = """{"access_token":"eyJhbGciOiJFUzI1NiIsImtpZCI6IjJhQTdSVjAxcE9NbVpVaDZNVlNJY0RaN0MtQUhxWnVsWk5IV1hESE91OVUiLCJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiJsQ0haSGJsMFpPSmN1eXhRR2V2WWRPUDgzYzZGaXVLeSJ9.MEUCIQDx","token_type":"Bearer","expires_in":3600,"scope":"attendance:read schools:read"}""",
        [typeof(OAuthError)] = """{"error":"invalid_client","error_description":"The client is unknown, revoked, or the secret is wrong.","request_id":"0af7651916cd43dd8448eb211c80319c"}""",
        [typeof(AuthorizationServerMetadata)] = """
            {"issuer":"https://localhost:5443","jwks_uri":"https://localhost:5443/.well-known/jwks.json","token_endpoint":"https://localhost:5443/oauth/token",
             "grant_types_supported":["client_credentials"],"token_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post"],
             "scopes_supported":["admin","attendance:read","attendance:write","courses:read","courses:write","lessons:read","lessons:write","schools:read","users:read","users:write"],
             "response_types_supported":[],"service_documentation":"https://localhost:5443/api-docs"}
            """,
        [typeof(ApiTokenResponse)] = $$"""{"token_id":1,"user_id":2,"name":"Gradebook sync","prefix":"sta_Xk3pQ9","created_at":"{{Instant}}","last_used_at":"2026-09-07T08:49:12Z"}""",
        [typeof(ApiTokenList)] = $$"""{"data":[{"token_id":1,"user_id":2,"name":"Gradebook sync","prefix":"sta_Xk3pQ9","created_at":"{{Instant}}","last_used_at":"2026-09-07T08:49:12Z"}]}""",
        [typeof(CreatedApiToken)] = $$"""{"token_id":2,"user_id":2,"name":"Gradebook sync","prefix":"sta_Xk3pQ9","created_at":"{{Instant}}","token":"sta_Xk3pQ9vR4kLp9ZsW3nYb7HcJ5dFg1AeUq2Tm8Wx6"}""",
        [typeof(NewApiTokenRequest)] = """{"name":"Gradebook sync"}""",
        [typeof(ApiClient)] = $$"""{"client_id":"{{ClientId}}","name":"District dashboard","tier":"standard","schools":["oakwood-primary","ravenscroft-high"],"scopes":["attendance:read","schools:read"],"created_at":"{{Instant}}","secret_rotated_at":"{{Instant}}","revoked_at":null}""",
        [typeof(ClientList)] = $$"""{"data":[{"client_id":"{{ClientId}}","name":"District dashboard","tier":"standard","schools":["oakwood-primary","ravenscroft-high"],"scopes":["attendance:read","schools:read"],"created_at":"{{Instant}}","secret_rotated_at":"{{Instant}}","revoked_at":null}]}""",
        [typeof(ClientRequest)] = """{"name":"District dashboard","tier":"standard","schools":["oakwood-primary","ravenscroft-high"],"scopes":["attendance:read","schools:read"]}""",
        [typeof(ClientChanges)] = """{"tier":"premium"}""",
        [typeof(ClientCredentialsResponse)] = $$"""{"client_id":"{{ClientId}}","client_secret":"{{ClientSecret}}","name":"District dashboard","tier":"standard","schools":["oakwood-primary","ravenscroft-high"],"scopes":["attendance:read","schools:read"]}""",
    };

    private const string ClientId = "Qm8xT2vR4kLp9ZsW3nYb7HcJ5dFg1AeU";
    private const string ClientSecret = "Hq4Ld8Zt1Wm6Rc3Vp9Nk2Bx7Gs5Jf0YuEa4Ti8Ko";

    /// <summary>An ETag of a summary: its school's version and a digest of the question.</summary>
    public const string AnswerETag = "\"v1842-5d41402abc4b2a76b9719d911017c592\"";

    /// <summary>Where each list's one-row example page continues: the key of its row, as the service encodes cursors.</summary>
    private static readonly Dictionary<Type, (string Path, string Cursor)> NextPages = new()
    {
        [typeof(SchoolResponse)] = ("/v1/schools", Cursor.Encode(new { SchoolId = School })),
        [typeof(UserResponse)] = ("/v1/schools/oakwood-primary/users", Cursor.Encode(new { UserId = 2 })),
        [typeof(CourseResponse)] = ("/v1/schools/oakwood-primary/courses", Cursor.Encode(new { CourseId = 1 })),
        [typeof(EnrolmentResponse)] = ("/v1/schools/oakwood-primary/courses/1/enrolments", Cursor.Encode(new { StudentId = 22 })),
        [typeof(LessonResponse)] = ("/v1/schools/oakwood-primary/lessons", Cursor.Encode(new { StartsAt = DateTimeOffset.Parse("2026-09-07T07:50:00+00:00", System.Globalization.CultureInfo.InvariantCulture), LessonId = 318 })),
        [typeof(MarkResponse)] = ("/v1/schools/oakwood-primary/lessons/318/attendance", Cursor.Encode(new { StudentId = 22 })),
        [typeof(StudentMarkResponse)] = ("/v1/schools/oakwood-primary/students/22/attendance", Cursor.Encode(new { StartsAt = DateTimeOffset.Parse("2026-09-01T07:50:00+00:00", System.Globalization.CultureInfo.InvariantCulture), LessonId = 1 })),
    };

    /// <summary>
    /// Parameters by name. Swagger UI fills Try it out with a parameter's own example, so required ones carry
    /// one that answers with data; optional ones carry theirs in the schema, which it shows but does not send.
    /// </summary>
    private static readonly Dictionary<string, JsonNode> ParameterValues = new()
    {
        ["school_id"] = School,
        ["course_id"] = 1,
        ["lesson_id"] = 318,
        ["student_id"] = 22,
        ["user_id"] = 2,
        ["teacher_id"] = 2,
        ["token_id"] = 1,
        ["client_id"] = ClientId,
        ["from"] = "2026-09-01",
        ["to"] = "2026-09-30",
        ["group_by"] = "week",
        ["limit"] = 50,
        ["q"] = "math",
        ["role"] = "teacher",
        ["active"] = true,
        ["cascade"] = false,
        ["client_secret"] = ClientSecret,
        ["Idempotency-Key"] = "5f1d3c2e-8a47-4b6e-9c0d-2e7f1a9b3c45",
        ["If-Match"] = "\"v1\"",
        ["If-None-Match"] = AnswerETag,
    };

    public static Task ApplyAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (For(context.JsonTypeInfo.Type) is { } example)
        {
            schema.Examples = [example];
        }
        return Task.CompletedTask;
    }

    /// <summary>The example of a contract type, a page of one row for a list; null when it has none.</summary>
    public static JsonNode? For(Type type)
    {
        if (ByType.TryGetValue(type, out var json))
        {
            return JsonNode.Parse(json);
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Page<>) && ByType.TryGetValue(type.GetGenericArguments()[0], out var row))
        {
            var next = NextPages.TryGetValue(type.GetGenericArguments()[0], out var page) ? $"{page.Path}?limit=1&cursor={page.Cursor}" : null;
            return new JsonObject { ["data"] = new JsonArray(JsonNode.Parse(row)), ["next"] = next };
        }
        return null;
    }

    /// <summary>Gives the parameter its example, where Try it out uses it when required and in its schema otherwise.</summary>
    public static void Apply(OpenApiParameter parameter, Type? pageRow)
    {
        var value = parameter.Name == "cursor" && pageRow is not null && NextPages.TryGetValue(pageRow, out var page)
            ? page.Cursor
            : parameter.Name is { } name && ParameterValues.TryGetValue(name, out var known) ? known.DeepClone() : null;
        if (value is null)
        {
            return;
        }
        if (parameter.Required)
        {
            parameter.Example = value;
        }
        else if (parameter.Schema is OpenApiSchema schema)
        {
            schema.Examples = [value];
        }
    }
}
