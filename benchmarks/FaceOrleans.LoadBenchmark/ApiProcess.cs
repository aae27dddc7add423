using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FaceOrleans.Benchmarks;

namespace FaceOrleans.LoadBenchmark;

/// <summary>
/// The embedded service (API + one CPU slice in one process) started from its build output on free ports, with a
/// temporary data folder and its own demo keys, exactly as <c>scripts/run.sh</c> runs it otherwise. Disposing it
/// stops the process and deletes the folder.
/// </summary>
internal sealed class ApiProcess : IDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _data;

    private ApiProcess(Process process, DirectoryInfo data, Uri url, string key)
    {
        _process = process;
        _data = data;
        Url = url;
        Key = key;
    }

    public Uri Url { get; }

    public string Key { get; }

    public string LogFile => Path.Combine(_data.FullName, "api.log");

    /// <summary>CPU time of the whole service process so far (API, silo and inference).</summary>
    public TimeSpan Cpu
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <param name="environment">Variables for the service's process, e.g. <c>DOTNET_gcServer=0</c> for a GC variant.</param>
    /// <param name="apiAssembly">
    /// Another build of the embedded default to start: a FaceOrleans.Silo.dll (run as <c>embedded</c>), or the
    /// FaceOrleans.Api.dll of a build from before the embedded default moved to the silo; null starts the one built with
    /// this tool.
    /// </param>
    public static async Task<ApiProcess> StartAsync(
        string tenant, int maxConcurrent, IEnumerable<string> extraArguments, IReadOnlyDictionary<string, string>? environment = null, string? apiAssembly = null)
    {
        var silo = apiAssembly ?? SiloAssembly();
        var data = Directory.CreateTempSubdirectory("faceorleans-loadbench-");
        var url = new Uri($"http://127.0.0.1:{FreePort()}");
        var keys = Path.Combine(data.FullName, "demo-keys.env");
        var start = new ProcessStartInfo("dotnet")
        {
            // The content root, where appsettings.json (the demo tenants, the slice) is, as for `dotnet run`.
            WorkingDirectory = Path.GetDirectoryName(silo)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        string[] arguments =
        [
            // The embedded default (the API and its silo in one process), as scripts/run.sh starts it.
            silo,
            // Builds from before issue 20 host the embedded default in the API's own assembly, with no command.
            .. Path.GetFileName(silo) == "FaceOrleans.Api.dll" ? Array.Empty<string>() : ["embedded"],
            $"--Urls={url}",
            $"--FaceOrleans:Cluster:StoragePath={Path.Combine(data.FullName, "faceorleans.db")}",
            $"--FaceOrleans:Cluster:SiloPort={FreePort()}",
            $"--FaceOrleans:Cluster:GatewayPort={FreePort()}",
            $"--FaceOrleans:Models:Directory={BenchmarkPaths.ModelsDirectory}",
            $"--FaceOrleans:Api:DemoKeysFile={keys}",
            $"--FaceOrleans:Api:DefaultMaxConcurrentRequests={maxConcurrent}",
            .. extraArguments,
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        // Ctrl+C or a kill of this tool must not leave the service running.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Dispose already killed and released it: the normal end of a run.
            }
        };
        var log = new StreamWriter(Path.Combine(data.FullName, "api.log")) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ApiProcess(process, data, url, "");
        try
        {
            var key = await WaitForKeyAsync(process, keys, tenant);
            return new ApiProcess(process, data, url, key);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            var tail = File.Exists(service.LogFile) ? string.Join(Environment.NewLine, File.ReadLines(service.LogFile).TakeLast(20)) : "";
            service.Dispose();
            throw new InvalidOperationException($"{ex.Message}{Environment.NewLine}Last lines of its log:{Environment.NewLine}{tail}", ex);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(30));
        }

        _process.Dispose();
        try
        {
            _data.Delete(recursive: true);
        }
        catch (IOException)
        {
            // The log may still be open for a moment; a temp folder left behind is harmless.
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.WriteLine(line);
            }
        }
    }

    /// <summary>The demo key file appears once the silo is up and the keys are issued.</summary>
    private static async Task<string> WaitForKeyAsync(Process process, string keysFile, string tenant)
    {
        var variable = tenant.ToUpperInvariant().Replace('-', '_') + "_KEY=";
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The service exited with code {process.ExitCode}.");
            }

            if (File.Exists(keysFile))
            {
                var line = (await File.ReadAllLinesAsync(keysFile)).FirstOrDefault(l => l.StartsWith(variable, StringComparison.Ordinal));
                if (line is not null)
                {
                    return line[variable.Length..].Trim();
                }
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"The service did not issue a key for '{tenant}' within 3 minutes.");
    }

    private static string SiloAssembly()
    {
        // This tool and the silo are built together in the same configuration (see the project file).
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var path = Path.Combine(BenchmarkPaths.RepositoryRoot(), "Silo", "bin", configuration, "net10.0", "FaceOrleans.Silo.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build the silo first: {path} does not exist.", path);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
