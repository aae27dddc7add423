using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FaceOrleans.Tests.Api;

/// <summary>The API executable started from a folder that is not its own, as the fixture starts it.</summary>
[Collection(ApiProcessGroup.Name)]
public sealed class ApiProcessTests(ApiProcessFixture api)
{
    [Fact]
    public async Task Started_from_another_folder_the_API_reads_its_own_appsettings_and_serves_the_console()
    {
        // Only Api/appsettings.json pins attendance and access to slice cpu-0: found, although the process started elsewhere.
        using var admin = api.Client(api.DemoKeys["ADMIN_KEY"]);
        var slice = Assert.Single((await admin.GetFromJsonAsync<JsonElement>("/v1/cluster")).GetProperty("slices").EnumerateArray());
        Assert.Equal("cpu-0", slice.GetProperty("slice").GetString());
        Assert.Equal(["access", "attendance"], slice.GetProperty("tenants").EnumerateArray().Select(t => t.GetString()));

        // Its log levels apply too: Orleans at Warning, so none of Orleans' start-up info lines; the host's own still show.
        Assert.Contains("info: Microsoft.Hosting.Lifetime", api.Api.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("info: Orleans", api.Api.Output, StringComparison.Ordinal);

        // The console's files come from the wwwroot beside the assembly.
        using var client = api.Client();
        var page = await client.GetAsync(new Uri("/console", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("/console/", page.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains("<title>FaceOrleans console</title>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        foreach (var file in new[] { "/console/console.js", "/console/console.css" })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(file, UriKind.Relative))).StatusCode);
        }
    }

    [Fact]
    public void A_comma_separated_list_on_the_command_line_replaces_the_files_list()
    {
        // appsettings.json names attendance and access; --FaceOrleans:Api:DemoTenants=attendance leaves one demo tenant.
        Assert.Equal(["ADMIN_KEY", "ATTENDANCE_KEY"], api.DemoKeys.Keys.Order(StringComparer.Ordinal));
    }
}
