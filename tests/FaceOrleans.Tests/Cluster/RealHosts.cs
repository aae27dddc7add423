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
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
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
