using FaceOrleans.Grains.Hosting;
using Microsoft.Extensions.Hosting;

namespace FaceOrleans.Silo;

internal static class SiloHost
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.UseOrleans(silo => silo
            .UseFaceOrleansCluster(builder.Configuration)
            .AddFaceOrleansSlice(builder.Configuration));

        try
        {
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
