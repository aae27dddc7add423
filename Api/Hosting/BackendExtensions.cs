using FaceOrleans.Contracts.Hosting;
using Orleans.Configuration;

namespace FaceOrleans.Api.Hosting;

public static class BackendExtensions
{
    /// <summary>
    /// The API as an Orleans client of the cluster named in <c>FaceOrleans:Cluster</c>: the front end of the cluster
    /// modes. The one-process default (API and silo in one process) is <c>FaceOrleans.Silo embedded</c>, which hosts
    /// these same endpoints beside its silo instead of calling this.
    /// </summary>
    public static WebApplicationBuilder AddFaceOrleansClusterClient(this WebApplicationBuilder builder)
    {
        var cluster = builder.Configuration.GetSection(FaceOrleansClusterOptions.Section).Get<FaceOrleansClusterOptions>() ?? new();
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
