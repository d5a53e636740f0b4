namespace StatsApi.Auth;

internal static class SchoolRoutes
{
    public const string Base = "/v1/schools";

    /// <summary>A group of operations on one school's resources: /v1/schools/{school_id}/{resource}, school-checked.</summary>
    public static RouteGroupBuilder MapSchoolResource(this IEndpointRouteBuilder routes, string resource, string tag) =>
        routes.MapGroup($"{Base}/{{school_id}}/{resource}").WithTags(tag).RequireSchool(SchoolSource.Route);

    /// <summary>The path of one object of a school, for Location headers and links.</summary>
    public static string PathOf(string school, string resource, object id) =>
        FormattableString.Invariant($"{Base}/{school}/{resource}/{id}");
}
