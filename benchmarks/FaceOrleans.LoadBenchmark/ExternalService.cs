using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FaceOrleans.LoadBenchmark;

/// <summary>
/// A second compare service started by this tool from a shell command (e.g. <c>benchmarks/seed-service/start.sh</c>)
/// that prints its base URL (<c>http://127.0.0.1:PORT</c>) in its first lines of output and then serves. Its CPU time is
/// its whole process tree's, read from /proc. Disposing it kills the tree.
/// </summary>
internal sealed partial class ExternalService : IDisposable
{
    private readonly Process _process;

    private ExternalService(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public TimeSpan Cpu => ProcessTreeCpu.Read(_process.Id);

    public static async Task<ExternalService> StartAsync(string command)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start: {command}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(process);
        var url = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new List<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && UrlPattern().Match(e.Data) is { Success: true } match)
            {
                url.TrySetResult(new Uri(match.Value.TrimEnd('/') + "/"));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (errors)
                {
                    errors.Add(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ExternalService(process, await url.Task.WaitAsync(TimeSpan.FromMinutes(1)));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"'{command}' exited with code {process.ExitCode}: {string.Join(Environment.NewLine, errors.TakeLast(20))}");
            }

            try
            {
                // Any answer, even 404, means it listens.
                using var _ = await http.GetAsync(service.Url);
                return service;
            }
            catch (HttpRequestException) when (clock.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(250);
            }
        }
    }

    public void Dispose()
    {
        Stop(_process);
        _process.Dispose();
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(30));
            }
        }
        catch (InvalidOperationException)
        {
            // Already stopped and released.
        }
    }

    [GeneratedRegex(@"https?://[^\s""']+")]
    private static partial Regex UrlPattern();
}
