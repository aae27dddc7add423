using System.CommandLine;
using FaceOrleans.Contracts.Hosting;
using Microsoft.Extensions.Configuration;

namespace FaceOrleans.Silo;

/// <summary>
/// <c>probe [--file PATH] [--max-age SECONDS]</c>: the silo's liveness check for an orchestrator or a container
/// HEALTHCHECK. Passes (exit 0) while the running silo's liveness file (<c>FaceOrleans:Cluster:LivenessFile</c>, which
/// the silo rewrites every 5 s while it is an active cluster member) is younger than the limit; exit 1 otherwise.
/// Reads the same appsettings.json and FaceOrleans__* environment as the silo, so a container needs no arguments.
/// </summary>
internal static class ProbeCommand
{
    public static Command Create()
    {
        var file = new Option<FileInfo?>("--file") { Description = "The liveness file; default: FaceOrleans:Cluster:LivenessFile" };
        var maxAge = new Option<int>("--max-age") { Description = "Seconds the file may be old and still pass", DefaultValueFactory = _ => 30 };
        var command = new Command("probe", "Exit 0 while the silo running beside this command is an active cluster member (its liveness file is fresh)")
        {
            file, maxAge,
        };
        command.SetAction(async parse =>
        {
            var path = parse.GetValue(file)?.FullName ?? ConfiguredFile();
            if (string.IsNullOrWhiteSpace(path))
            {
                await Console.Error.WriteLineAsync("error: no liveness file: set FaceOrleans:Cluster:LivenessFile or give --file.");
                return 2;
            }

            if (!File.Exists(path))
            {
                await Console.Error.WriteLineAsync($"not live: {path} does not exist (the silo has not joined, or has stopped).");
                return 1;
            }

            var age = DateTime.UtcNow - File.GetLastWriteTimeUtc(path);
            if (age > TimeSpan.FromSeconds(parse.GetValue(maxAge)))
            {
                await Console.Error.WriteLineAsync($"not live: {path} was last written {age.TotalSeconds:0} s ago.");
                return 1;
            }

            Console.WriteLine($"live: {(await File.ReadAllTextAsync(path)).Trim()}");
            return 0;
        });
        return command;
    }

    private static string? ConfiguredFile() =>
        new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build()
            .GetSection(FaceOrleansClusterOptions.Section)[nameof(FaceOrleansClusterOptions.LivenessFile)];
}
