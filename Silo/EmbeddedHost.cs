using System.CommandLine;
using FaceOrleans.Api.Hosting;
using FaceOrleans.Contracts.Hosting;
using FaceOrleans.Grains.Hosting;
using FaceOrleans.Grains.Slices;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace FaceOrleans.Silo;

/// <summary>
/// <c>embedded</c>: the single-machine default, one process. This silo (one CPU or GPU slice, SQLite storage) with the
/// HTTP API hosted beside it through the API's own <c>AddFaceOrleansApi</c>/<c>UseFaceOrleansApi</c>/<c>MapFaceOrleansApi</c>,
/// so the endpoints are the very ones the client-only API serves in the cluster modes. It lives here, not in the API,
/// so the API references the contracts alone and never carries the grains, ONNX Runtime or OpenCV.
/// </summary>
public static class EmbeddedHost
{
    public const string CommandName = "embedded";

    public static Command CreateCommand(string[] args)
    {
        var command = new Command(CommandName, "Run the single-machine default: this silo and the HTTP API in one process " +
            "(--urls, FaceOrleans:Api:*, and the silo's settings as for the silo itself)");
        command.TreatUnmatchedTokensAsErrors = false;
        // Everything but the command's own name is configuration (--urls, --FaceOrleans:Key=value).
        var own = Array.IndexOf(args, CommandName);
        var settings = args.Where((_, i) => i != own).ToArray();
        command.SetAction((_, cancellationToken) => RunAsync(settings, cancellationToken));
        return command;
    }

    /// <summary>The embedded process's builder: its settings, its silo and the API's services. The tests host the same one.</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        // The content root is the program's own folder, so appsettings.json and the console's wwwroot are found whatever folder it starts from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.UseWholeLists([.. SliceOptions.WholeLists, ApiOptions.DemoTenantsKey]);
        builder.UseOrleans(silo => silo.UseFaceOrleansCluster(builder.Configuration).AddFaceOrleansSlice(builder.Configuration));
        builder.AddFaceOrleansApi();
        return builder;
    }

    /// <summary>Builds the app and wires the API's middleware and endpoints; building reads the options, so an invalid setting throws here.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        app.UseFaceOrleansApi();
        app.MapFaceOrleansApi();
        return app;
    }

    private static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        try
        {
            var app = Build(CreateBuilder(args));
            // Before the silo joins the cluster: the HTTP port and the silo's own ports.
            app.EnsurePortsFree(PortOwnership.SiloPorts(app.Configuration));
            await HostingAbstractionsHostExtensions.RunAsync(app, cancellationToken);
            return 0;
        }
        catch (Exception ex) when (StartupProblem.Find(ex) is { } problem)
        {
            // A port already taken, a silo that cannot serve its slice (a missing model, a GPU it must have) or an
            // invalid setting: say why in one line.
            await Console.Error.WriteLineAsync($"error: the API cannot start: {problem.Message}");
            return 1;
        }
    }
}
