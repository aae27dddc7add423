using FaceOrleans.Grains.Hosting;
using Orleans.Configuration;

namespace FaceOrleans.Api.Hosting;

internal static class BackendExtensions
{
    /// <summary>
    /// The embedded default hosts the silo in this process (one command, one CPU or GPU slice); otherwise the
    /// API is an Orleans client of the cluster named in <c>FaceOrleans:Cluster</c>.
    /// </summary>
    public static WebApplicationBuilder AddFaceOrleansBackend(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var api = ApiOptions.From(configuration);
        if (api.HostSilo)
        {
            builder.UseOrleans(silo => silo.UseFaceOrleansCluster(configuration).AddFaceOrleansSlice(configuration));
            return builder;
        }

        var cluster = configuration.GetSection(FaceOrleansClusterOptions.Section).Get<FaceOrleansClusterOptions>() ?? new();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = cluster.ClusterId;
                options.ServiceId = cluster.ServiceId;
            });
            client.Configure<ClientMessagingOptions>(options => options.ResponseTimeout = cluster.Failure.ResponseTimeout);
            client.Configure<GatewayOptions>(options => options.GatewayListRefreshPeriod = cluster.Failure.GatewayListRefresh);
            client.Services.AddSingleton<SiloLosses>();
            client.AddGatewayCountChangedHandler(services => services.GetRequiredService<SiloLosses>().OnGatewayCountChanged);
            client.Services.AddHostedService(services => ActivatorUtilities.CreateInstance<SiloDeathWatcher>(services, cluster.Failure.MembershipPoll));
            client.AddOutgoingGrainCallFilter<ClientCallResender>();
            if (cluster.Mode == ClusterMode.Redis)
            {
                client.UseRedisClustering(cluster.Redis ?? throw new InvalidOperationException("FaceOrleans:Cluster:Redis must name the Redis server in Redis mode."));
            }
            else
            {
                client.UseLocalhostClustering(cluster.GatewayPort, cluster.ServiceId, cluster.ClusterId);
            }
        });
        return builder;
    }
}
