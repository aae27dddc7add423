using FaceOrleans.Api.Hosting;
using FaceOrleans.Contracts.Hosting;

// The HTTP front end of a cluster: an Orleans client of the silos named in FaceOrleans:Cluster. The one-process
// default (this API and a silo together) is `FaceOrleans.Silo embedded`, which hosts the same endpoints.
// The content root is the app's own folder, so its appsettings.json and wwwroot are found whatever folder it starts from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.UseWholeLists([ApiOptions.DemoTenantsKey]);
builder.AddFaceOrleansClusterClient();
builder.AddFaceOrleansApi();

try
{
    // Building and wiring read the options too, so a setting that fails validation is caught here as well.
    var app = builder.Build();
    app.UseFaceOrleansApi();
    app.MapFaceOrleansApi();
    app.EnsurePortsFree();
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (StartupProblem.Find(ex) is { } problem)
{
    // A port already taken or an invalid setting: say why in one line.
    await Console.Error.WriteLineAsync($"error: the API cannot start: {problem.Message}");
    return 1;
}

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
