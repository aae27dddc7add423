using System.Net;
using System.Net.Sockets;
using FaceOrleans.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace FaceOrleans.Tests.Cluster;

/// <summary>Real silo and client hosts built exactly as the Silo executable builds them, on free loopback ports.</summary>
internal static class RealHosts
{
    /// <summary>
    /// A loopback port nothing listens on, for a server a test starts. Taken below the kernel's ephemeral range where
    /// it can: a port the kernel hands out there and this releases can be taken by any outgoing connection (a client,
    /// Redis, an Orleans gateway) before the server binds it, which failed a test run with "address already in use".
    /// Within this process each port is handed out once; a port another process holds fails the bind check and is
    /// skipped.
    /// </summary>
    public static int FreePort()
    {
        var (low, count) = PortsBelowEphemeral.Value;
        for (var tries = 0; count > 0 && tries < count; tries++)
        {
            var port = low + (int)((uint)Interlocked.Increment(ref _nextPort) % (uint)count);
            if (TryBind(port))
            {
                return port;
            }
        }

        // No room below the ephemeral range on this machine: the kernel's pick, as before.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var picked = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return picked;
    }

    private static int _nextPort = Random.Shared.Next(0, 10_000);

    /// <summary>10,000 ports just below /proc/sys/net/ipv4/ip_local_port_range's first port; none where that leaves no room above 1024.</summary>
    private static readonly Lazy<(int Low, int Count)> PortsBelowEphemeral = new(() =>
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        var first = File.Exists(range) && int.TryParse(File.ReadAllText(range).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0], out var value)
            ? value
            : 32768;
        var low = Math.Max(1025, first - 10_000);
        return (low, Math.Max(0, first - low));
    });

    private static bool TryBind(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static Dictionary<string, string?> SiloSettings(string sliceId, string[] tenants, string clusterId) => new Dictionary<string, string?>
    {
        ["FaceOrleans:Cluster:ClusterId"] = clusterId,
        ["FaceOrleans:Cluster:ServiceId"] = "faceorleans-tests",
        ["FaceOrleans:Cluster:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["FaceOrleans:Cluster:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["FaceOrleans:Slice:Id"] = sliceId,
        ["FaceOrleans:Slice:IntraOpThreads"] = "1",
        ["FaceOrleans:Models:Directory"] = TestPaths.ModelsDirectory,
        ["FaceOrleans:Placement:DefaultSlice"] = sliceId,
        // Tests name tenants of their own, pinned nowhere: they opt into open tenants.
        ["FaceOrleans:Placement:RefuseUnknownTenants"] = "false",
        ["FaceOrleans:Tenants:CounterFlushInterval"] = "00:00:01",
        // Shard snapshots are a local cache; tests keep theirs out of the working directory.
        ["FaceOrleans:Gallery:IndexDirectory"] = Path.Combine(Path.GetTempPath(), "faceorleans-gallery-index-" + clusterId),
        // Gallery rows are sealed under a master key every silo of a cluster shares (Redis mode requires one): the
        // cluster's own, derived from its id, so every silo and every restart of the test's cluster has the same.
        ["FaceOrleans:Protection:MasterKey"] = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(clusterId))),
    }.Concat(tenants.Select((t, i) => KeyValuePair.Create($"FaceOrleans:Slice:Tenants:{i}", (string?)t))).ToDictionary();

    public static async Task<IHost> StartSiloAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(silo => silo.UseFaceOrleansCluster(builder.Configuration).AddFaceOrleansSlice(builder.Configuration));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static async Task<IHost> StartClientAsync(string clusterId, Action<IClientBuilder> clustering)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = "faceorleans-tests";
            });
            clustering(client);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static IClusterClient Client(this IHost clientHost) => clientHost.Services.GetRequiredService<IClusterClient>();

    public static SiloAddress SiloAddress(this IHost siloHost) => siloHost.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

    public static async Task StopAllAsync(params IHost[] hosts)
    {
        foreach (var host in hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    /// <summary>Retries while the cluster is still learning its slices (a silo's advert not yet seen).</summary>
    public static async Task<T> WhenPlacedAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (attempt < 120 && ex is FaceOrleans.Contracts.SliceUnavailableException or Orleans.Runtime.SiloUnavailableException or OrleansMessageRejectionException)
            {
                await Task.Delay(250);
            }
        }
    }
}
