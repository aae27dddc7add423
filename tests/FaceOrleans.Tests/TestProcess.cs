using System.Diagnostics;

namespace FaceOrleans.Tests;

/// <summary>Runs a real command to completion, as a user would from a shell.</summary>
public static class TestProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? TestPaths.RepoRoot,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {string.Join(' ', start.ArgumentList)}' did not finish in time.");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The silo executable with the given arguments.</summary>
    public static Task<Result> RunSiloAsync(IEnumerable<string> arguments, string? workingDirectory = null) =>
        RunAsync("dotnet", arguments.Prepend(TestPaths.SiloAssembly), workingDirectory);
}
