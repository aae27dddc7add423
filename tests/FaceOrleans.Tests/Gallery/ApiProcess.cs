using System.Diagnostics;
using System.Globalization;
using FaceOrleans.Grains;
using FaceOrleans.Tests.Api;
using FaceOrleans.Tests.Cluster;

namespace FaceOrleans.Tests.Gallery;

/// <summary>
/// The real API executable with its embedded silo, as its own OS process on free loopback ports, so that a
/// test can kill it outright (no shutdown, no flush) in the middle of work and start it again on the same data.
/// </summary>
internal sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ApiProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Starts the API with <paramref name="settings"/> as command-line configuration and waits until it answers.</summary>
    public static async Task<ApiProcess> StartAsync(IReadOnlyDictionary<string, string> settings)
    {
        var address = new Uri($"http://127.0.0.1:{RealHosts.FreePort()}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The content root, for appsettings.json; every data path in the settings is absolute.
            WorkingDirectory = Path.GetDirectoryName(TestPaths.ApiAssembly)!,
        };
        start.ArgumentList.Add(TestPaths.ApiAssembly);
        start.ArgumentList.Add($"--Urls={address}");
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var api = new ApiProcess(process, address);
        using var client = api.Client();
        for (var attempt = 0; attempt < 240; attempt++)
        {
            try
            {
                if ((await client.GetAsync("/health/live")).IsSuccessStatusCode)
                {
                    return api;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (process.HasExited)
            {
                break;
            }

            await Task.Delay(250);
        }

        await api.DisposeAsync();
        throw new InvalidOperationException($"The API at {address} did not start.");
    }

    /// <summary>Settings for one embedded silo with its data under <paramref name="dataDirectory"/>.</summary>
    public static Dictionary<string, string> Settings(string dataDirectory) => new()
    {
        ["FaceOrleans:Api:AdminKeySha256"] = ApiKeysGrain.HashOf(ApiFixture.AdminKey),
        ["FaceOrleans:Api:DemoKeysFile"] = Path.Combine(dataDirectory, "demo-keys.env"),
        ["FaceOrleans:Cluster:ClusterId"] = "process-" + Guid.NewGuid().ToString("N")[..8],
        ["FaceOrleans:Cluster:SiloPort"] = RealHosts.FreePort().ToString(CultureInfo.InvariantCulture),
        ["FaceOrleans:Cluster:GatewayPort"] = RealHosts.FreePort().ToString(CultureInfo.InvariantCulture),
        ["FaceOrleans:Cluster:StoragePath"] = Path.Combine(dataDirectory, "state.db"),
        ["FaceOrleans:Gallery:IndexDirectory"] = Path.Combine(dataDirectory, "gallery-index"),
        ["FaceOrleans:Models:Directory"] = TestPaths.ModelsDirectory,
        ["FaceOrleans:Slice:IntraOpThreads"] = "1",
    };

    public HttpClient Client(string? apiKey = ApiFixture.AdminKey)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    /// <summary>SIGKILL: the process gets no chance to finish, flush or deactivate anything.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }
}
