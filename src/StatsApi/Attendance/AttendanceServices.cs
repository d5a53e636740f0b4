namespace StatsApi.Attendance;

internal static class AttendanceServices
{
    public static IHostApplicationBuilder AddStatsApiAttendance(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<SummaryQuery>();
        return builder;
    }
}
