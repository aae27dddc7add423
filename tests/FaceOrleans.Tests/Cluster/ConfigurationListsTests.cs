using System.Text;
using FaceOrleans.Contracts.Hosting;
using FaceOrleans.Grains.Slices;
using Microsoft.Extensions.Configuration;

namespace FaceOrleans.Tests.Cluster;

/// <summary>List settings through the same sources a host layers: appsettings.json, the environment, the command line.</summary>
public sealed class ConfigurationListsTests
{
    private const string AppSettings = """{ "FaceOrleans": { "Slice": { "Tenants": [ "attendance", "access" ], "StandbyFor": [ "kiosk" ] } } }""";

    [Theory]
    [InlineData("", "attendance,access")]
    [InlineData("--FaceOrleans:Slice:Tenants=solo", "solo")]
    [InlineData("--FaceOrleans:Slice:Tenants= a , b ,c", "a,b,c")]
    [InlineData("--FaceOrleans:Slice:Tenants=", "")]
    [InlineData("--FaceOrleans:Slice:Tenants:1=", "attendance")]
    [InlineData("--FaceOrleans:Slice:Tenants:0=", "access")]
    [InlineData("--FaceOrleans:Slice:Tenants:2=analytics", "attendance,access,analytics")]
    [InlineData("--FaceOrleans:Slice:Tenants:0=doors", "doors,access")]
    public void A_comma_separated_value_is_the_whole_list_and_blank_entries_are_dropped(string argument, string expected)
    {
        var slice = Bind(environment: [], argument.Length == 0 ? [] : [argument]);

        Assert.Equal(expected.Split(',', StringSplitOptions.RemoveEmptyEntries), slice.Tenants);
        Assert.Equal(["kiosk"], slice.StandbyFor);
        Assert.Empty(slice.Validate());
    }

    [Fact]
    public void The_command_line_wins_over_the_environment_and_the_environment_over_the_file()
    {
        var fromEnvironment = Bind(environment: new() { ["FaceOrleans:Slice:Tenants"] = "doors", ["FaceOrleans:Slice:StandbyFor"] = "" }, []);
        var fromBoth = Bind(environment: new() { ["FaceOrleans:Slice:Tenants"] = "doors" }, ["--FaceOrleans:Slice:Tenants=clock,doors"]);
        var entryOnTop = Bind(environment: new() { ["FaceOrleans:Slice:Tenants"] = "doors,kiosk" }, ["--FaceOrleans:Slice:Tenants:1=clock"]);

        Assert.Equal(["doors"], fromEnvironment.Tenants);
        Assert.Empty(fromEnvironment.StandbyFor);
        Assert.Equal(["clock", "doors"], fromBoth.Tenants);
        Assert.Equal(["doors", "clock"], entryOnTop.Tenants);
    }

    [Fact]
    public void An_empty_value_beside_entries_of_the_same_source_keeps_the_entries()
    {
        // WebApplicationFactory passes its settings as arguments, each parent section with an empty value.
        var slice = Bind(environment: [], ["--FaceOrleans:Slice:Tenants=", "--FaceOrleans:Slice:Tenants:2=burst"]);

        Assert.Equal(["attendance", "access", "burst"], slice.Tenants);
    }

    private static SliceOptions Bind(Dictionary<string, string?> environment, string[] commandLine)
    {
        var configuration = new ConfigurationManager();
        configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(AppSettings)));
        configuration.AddInMemoryCollection(environment);
        configuration.AddCommandLine(commandLine);
        configuration.UseWholeLists(SliceOptions.WholeLists);
        return configuration.GetSection(SliceOptions.Section).Get<SliceOptions>()!;
    }
}
