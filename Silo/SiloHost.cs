using FaceOrleans.Contracts.Hosting;
using FaceOrleans.Grains.Hosting;
using FaceOrleans.Grains.Slices;
using Microsoft.Extensions.Hosting;

namespace FaceOrleans.Silo;

internal static class SiloHost
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        // The content root is the silo's own folder, so its appsettings.json is read whatever folder it starts from.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.UseWholeLists(SliceOptions.WholeLists);
        builder.UseOrleans(silo => silo
            .UseFaceOrleansCluster(builder.Configuration)
            .AddFaceOrleansSlice(builder.Configuration));

        try
        {
            PortOwnership.EnsureFree(PortOwnership.SiloPorts(builder.Configuration));
            using var host = builder.Build();
            await host.RunAsync(cancellationToken);
            return 0;
        }
        catch (Exception ex) when (StartupProblem.Find(ex) is { } problem)
        {
            // A silo that cannot serve its slice must not join the cluster; say why in one line.
            await Console.Error.WriteLineAsync($"error: the silo cannot start: {problem.Message}");
            return 1;
        }
    }
}
