using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace FaceOrleans.Tests.Api;

/// <summary>
/// The client-only API (the cluster modes' front end) on the ASP.NET test host. Program makes the app's own folder its
/// content root (so appsettings.json and wwwroot are found whatever folder it starts from); the test output holds copies
/// of both, so the test host uses that same folder instead of the project's, which ASP.NET would refuse as a change of
/// content root. The embedded default is <see cref="EmbeddedApiHost"/>.
/// </summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder) => builder.UseContentRoot(AppContext.BaseDirectory);
}
