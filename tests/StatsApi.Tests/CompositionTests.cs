using Microsoft.Extensions.Hosting;
using StatsApi.Attendance;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>How the service is put together: Program.cs lists the parts, and each part registers its own services.</summary>
public class CompositionTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    [Fact]
    public void TheClockIsRegisteredOnceSoNoPartDependsOnTheOrderOfTheOthers()
    {
        var clocks = -1;
        app.WithServices(services => clocks = services.Count(d => d.ServiceType == typeof(TimeProvider)));

        Assert.NotNull(app.Services.GetRequiredService<TimeProvider>());
        Assert.Equal(1, clocks);
    }

    [Fact]
    public void TheAttendanceFeatureRegistersItsOwnQuery()
    {
        var builder = Host.CreateApplicationBuilder();

        builder.AddStatsApiAttendance();

        Assert.Contains(builder.Services, d => d.ServiceType == typeof(SummaryQuery));
    }

    [Fact]
    public void ProgramReadsAsATableOfContents()
    {
        var program = Repository.Read("src/StatsApi/Program.cs");

        // Registrations belong to the parts' AddX(); arguments, exit codes and failures to Admin/Executable.cs.
        foreach (var misplaced in new[] { ".Services.", "Console.", "catch", "return 1", "return 2", "args[", "CreateBuilder" })
        {
            Assert.DoesNotContain(misplaced, program, StringComparison.Ordinal);
        }
        Assert.Contains("Executable.RunAsync(args", program, StringComparison.Ordinal);
    }
}
