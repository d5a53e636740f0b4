using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using StatsApi.Attendance;
using StatsApi.Courses;
using StatsApi.Lessons;
using StatsApi.Schools;
using StatsApi.Users;

namespace StatsApi.Docs;

/// <summary>Examples in the contract, shaped like the demo schools' data, so the docs page shows what a call looks like.</summary>
public static class Examples
{
    private static readonly Dictionary<Type, string> ByType = new()
    {
        [typeof(AttendanceSummary)] = """{"school_id":"oakwood-primary","from":"2026-09-01","to":"2026-09-30","course_id":null,"group_by":"week","totals":{"records":6340,"present":5731,"absent":182,"late":283,"excused":144,"attendance_rate":0.9486},"groups":[{"key":"2026-W36","from":"2026-09-01","to":"2026-09-06","course_id":null,"course_code":null,"course_name":null,"counts":{"records":1585,"present":1432,"absent":46,"late":71,"excused":36,"attendance_rate":0.9483}}],"teacher_id":null,"student_id":null}""",
        [typeof(SchoolResponse)] = """{"school_id":"oakwood-primary","name":"Oakwood Primary School","time_zone":"Europe/London","created_at":"2026-08-20T09:12:44Z"}""",
        [typeof(UserResponse)] = """{"user_id":128,"school_id":"oakwood-primary","role":"student","given_name":"Maya","family_name":"Okafor","email":"maya.okafor.128@oakwood-primary.example","active":true,"created_at":"2026-08-20T09:12:44Z","updated_at":"2026-08-20T09:12:44Z"}""",
        [typeof(NewUserRequest)] = """{"role":"student","given_name":"Maya","family_name":"Okafor","email":"maya.okafor@oakwood-primary.example"}""",
        [typeof(UserChanges)] = """{"family_name":"Okafor-Reid"}""",
        [typeof(CourseResponse)] = """{"course_id":14,"school_id":"oakwood-primary","code":"MA-4B","name":"Mathematics 4B","teacher_id":7,"created_at":"2026-08-20T09:12:44Z","updated_at":"2026-08-20T09:12:44Z"}""",
        [typeof(NewCourseRequest)] = """{"code":"MU-4B","name":"Music 4B","teacher_id":7}""",
        [typeof(CourseChanges)] = """{"teacher_id":9}""",
        [typeof(EnrolmentResponse)] = """{"course_id":14,"student_id":128,"enrolled_on":"2026-09-01"}""",
        [typeof(EnrolmentRequest)] = """{"enrolled_on":"2026-09-01"}""",
        [typeof(LessonResponse)] = """{"lesson_id":5120,"school_id":"oakwood-primary","course_id":14,"teacher_id":7,"starts_at":"2026-09-07T08:50:00+00:00","ends_at":"2026-09-07T09:40:00+00:00","room":"M3","marks":25,"created_at":"2026-08-20T09:12:44Z","updated_at":"2026-08-20T09:12:44Z"}""",
        [typeof(NewLessonRequest)] = """{"course_id":14,"starts_at":"2026-09-07T09:50:00+01:00","ends_at":"2026-09-07T10:40:00+01:00","room":"M3"}""",
        [typeof(LessonChanges)] = """{"starts_at":"2026-09-08T09:50:00+01:00","ends_at":"2026-09-08T10:40:00+01:00"}""",
        [typeof(RecordAttendanceRequest)] = """{"marks":[{"student_id":128,"status":"present"},{"student_id":131,"status":"late"},{"student_id":140,"status":"absent"}]}""",
        [typeof(MarkInput)] = """{"student_id":128,"status":"present"}""",
        [typeof(RecordAttendanceResponse)] = """{"lesson_id":5120,"created":3,"updated":0,"unchanged":0}""",
        [typeof(MarkResponse)] = """{"lesson_id":5120,"student_id":128,"status":"present","recorded_by":7,"recorded_at":"2026-09-07T08:55:02Z"}""",
        [typeof(MarkChange)] = """{"status":"excused"}""",
        [typeof(StudentMarkResponse)] = """{"lesson_id":5120,"course_id":14,"teacher_id":7,"starts_at":"2026-09-07T08:50:00+00:00","status":"present","recorded_at":"2026-09-07T08:55:02Z"}""",
    };

    public static Task ApplyAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (ByType.TryGetValue(context.JsonTypeInfo.Type, out var example))
        {
            schema.Examples = [JsonNode.Parse(example)!];
        }
        return Task.CompletedTask;
    }
}
