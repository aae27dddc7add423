using System.Globalization;
using FaceOrleans.Contracts;
using FaceOrleans.Tests.Api;
using FaceOrleans.Tests.Cluster;

namespace FaceOrleans.Tests.Gallery;

/// <summary>
/// The real embedded default (<c>FaceOrleans.Silo embedded</c>: the API with its silo), as its own OS process on free loopback ports, so that a
/// test can kill it outright (no shutdown, no flush) in the middle of work and start it again on the same data.
/// </summary>
internal sealed class ApiProcess : IAsyncDisposable
{
    private readonly ServerProcess _server;

    private ApiProcess(ServerProcess server, Uri address)
    {
        _server = server;
        Address = address;
    }

    public Uri Address { get; }

    // The served /openapi/v1.json: once loaded, every answer a client of this process receives is checked against it.
    private OpenApiContract? _contract;

    /// <summary>Starts the API with <paramref name="settings"/> as command-line configuration and waits until it answers.</summary>
    public static async Task<ApiProcess> StartAsync(IReadOnlyDictionary<string, string> settings)
    {
        var address = new Uri($"http://127.0.0.1:{RealHosts.FreePort()}");

        // The embedded default, as run.sh starts it; its working folder is the silo's own, and every data path in the settings is absolute.
        var server = ServerProcess.Start(TestPaths.SiloAssembly,
            [TestPaths.EmbeddedCommand, $"--Urls={address}", .. settings.Select(s => $"--{s.Key}={s.Value}")],
            Path.GetDirectoryName(TestPaths.SiloAssembly)!);
        var api = new ApiProcess(server, address);
        try
        {
            using var client = api.Client();
            await server.WaitForAsync(async () => await IsLiveAsync(client) ? api : null, TimeSpan.FromMinutes(2), $"the API at {address} never answered");
            api._contract = await OpenApiContract.LoadAsync(client);
            return api;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Settings for one embedded silo with its data under <paramref name="dataDirectory"/>.</summary>
    public static Dictionary<string, string> Settings(string dataDirectory) => new()
    {
        ["FaceOrleans:Api:AdminKeySha256"] = ApiKeyHash.Of(ApiFixture.AdminKey),
        ["FaceOrleans:Api:DemoKeysFile"] = Path.Combine(dataDirectory, "demo-keys.env"),
        ["FaceOrleans:Cluster:ClusterId"] = "process-" + Guid.NewGuid().ToString("N")[..8],
        ["FaceOrleans:Cluster:SiloPort"] = RealHosts.FreePort().ToString(CultureInfo.InvariantCulture),
        ["FaceOrleans:Cluster:GatewayPort"] = RealHosts.FreePort().ToString(CultureInfo.InvariantCulture),
        ["FaceOrleans:Cluster:StoragePath"] = Path.Combine(dataDirectory, "state.db"),
        ["FaceOrleans:Gallery:IndexDirectory"] = Path.Combine(dataDirectory, "gallery-index"),
        ["FaceOrleans:Models:Directory"] = TestPaths.ModelsDirectory,
        ["FaceOrleans:Slice:IntraOpThreads"] = "1",
        // The re-shard tests' tenant is pinned nowhere: they opt into open tenants.
        ["FaceOrleans:Placement:RefuseUnknownTenants"] = "false",
    };

    /// <summary>Makes <paramref name="tenant"/> known because configuration pins it, and only the tenants pinned.</summary>
    public static void Pin(Dictionary<string, string> settings, string tenant)
    {
        settings["FaceOrleans:Slice:Tenants"] = tenant;
        settings["FaceOrleans:Placement:RefuseUnknownTenants"] = "true";
    }

    /// <summary>Cluster mode on <paramref name="redis"/> (membership, grain state and galleries), when one is given.</summary>
    public static void UseRedis(Dictionary<string, string> settings, RedisServer? redis)
    {
        if (redis is not null)
        {
            settings["FaceOrleans:Cluster:Mode"] = "Redis";
            settings["FaceOrleans:Cluster:Redis"] = redis.ConnectionString;
            // Redis mode seals under a key the operator supplies (no silo may make its own); one per test's settings,
            // so a restart with the same settings opens what the last run sealed.
            settings.TryAdd("FaceOrleans:Protection:MasterKey", Grains.Protection.MasterKeyProvider.NewKeyText());
        }
    }

    /// <summary>
    /// Runs <paramref name="test"/> against a fresh API process with a data folder of its own (named from
    /// <paramref name="prefix"/>), its settings as <paramref name="configure"/> leaves them; stops it and deletes the folder.
    /// </summary>
    public static async Task RunAsync(string prefix, Action<Dictionary<string, string>> configure, Func<ApiProcess, DirectoryInfo, Task> test)
    {
        var data = Directory.CreateTempSubdirectory(prefix);
        var settings = Settings(data.FullName);
        configure(settings);
        var api = await StartAsync(settings);
        try
        {
            await test(api, data);
        }
        finally
        {
            await api.DisposeAsync();
            data.Delete(recursive: true);
        }
    }

    public HttpClient Client(string? apiKey = ApiFixture.AdminKey)
    {
        var client = new HttpClient(OpenApiContractHandler.OverSockets(_contract)) { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    /// <summary>SIGKILL: the process gets no chance to finish, flush or deactivate anything.</summary>
    public Task KillAsync() => _server.KillAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static async Task<bool> IsLiveAsync(HttpClient client)
    {
        try
        {
            return (await client.GetAsync(new Uri("/health/live", UriKind.Relative))).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false; // Not listening yet.
        }
    }
}
