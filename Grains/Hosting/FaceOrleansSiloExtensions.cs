using FaceOrleans.Contracts.Hosting;
using FaceOrleans.Grains.Audit;
using FaceOrleans.Grains.Gallery;
using FaceOrleans.Grains.Placement;
using FaceOrleans.Grains.Retention;
using FaceOrleans.Grains.Protection;
using FaceOrleans.Grains.Slices;
using FaceOrleans.Grains.Storage;
using FaceOrleans.Vision;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FaceOrleans.Grains.Hosting;

public static class FaceOrleansSiloExtensions
{
    /// <summary>
    /// The slice this silo owns, its placement directors and its advert in the silo metadata: everything
    /// except clustering and storage, which <see cref="UseFaceOrleansCluster"/> adds (tests bring their own).
    /// </summary>
    public static ISiloBuilder AddFaceOrleansSlice(this ISiloBuilder silo, IConfiguration configuration)
    {
        var services = silo.Services;
        services.AddOptions<SliceOptions>().Bind(configuration.GetSection(SliceOptions.Section));
        services.AddOptions<TenantPlacementOptions>().Bind(configuration.GetSection(TenantPlacementOptions.Section));
        services.AddOptions<TenantGrainOptions>().Bind(configuration.GetSection(TenantGrainOptions.Section));
        services.AddOptions<ModelOptions>().Bind(configuration.GetSection(ModelOptions.Section));
        services.AddOptions<GalleryOptions>().Bind(configuration.GetSection(GalleryOptions.Section));
        services.AddOptions<FaceOrleansClusterOptions>().Bind(configuration.GetSection(FaceOrleansClusterOptions.Section));
        services.AddOptions<ProtectionOptions>().Bind(configuration.GetSection(ProtectionOptions.Section));
        // A KMS or Vault transit provider replaces this by registering its own IKeyProvider (the last registration wins).
        services.TryAddSingleton<IKeyProvider, MasterKeyProvider>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<SiloLivenessFile>();
        services.AddOptions<RetentionOptions>().Bind(configuration.GetSection(RetentionOptions.Section));
        RetentionClock.Register(services, configuration.GetSection(RetentionOptions.Section).Get<RetentionOptions>() ?? new());
        services.AddSingleton<LocalSlice>();
        services.AddSingleton<SliceDirectory>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SliceDirectory.Learner>();
        services.AddSingleton<TenantScopedGrains>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, LocalSliceStartup>();
        TenantScopedPlacementFilter.Register(services);
        WatchdogClock.Register(services);
        silo.AddPlacementDirector<SliceOwnerPlacement, SliceOwnerPlacementDirector>();
        silo.AddIncomingGrainCallFilter<RejectedCallBoundaryFilter>();
        silo.AddIncomingGrainCallFilter<TenantHomecomingFilter>();

        var slice = configuration.GetSection(SliceOptions.Section).Get<SliceOptions>() ?? new SliceOptions();
        return silo.UseSiloMetadata(SliceAdvert.ToMetadata(slice));
    }

    /// <summary>Clustering and grain storage as <c>FaceOrleans:Cluster:Mode</c> says.</summary>
    public static ISiloBuilder UseFaceOrleansCluster(this ISiloBuilder silo, IConfiguration configuration)
    {
        var cluster = configuration.GetSection(FaceOrleansClusterOptions.Section).Get<FaceOrleansClusterOptions>() ?? new();
        silo.Configure<ClusterOptions>(options =>
        {
            options.ClusterId = cluster.ClusterId;
            options.ServiceId = cluster.ServiceId;
        });
        silo.Configure<ClusterMembershipOptions>(options =>
        {
            options.ProbeTimeout = cluster.Failure.ProbeTimeout;
            options.NumMissedProbesLimit = cluster.Failure.MissedProbes;
            options.DeathVoteExpirationTimeout = cluster.Failure.DeathVoteExpiration;
        });
        silo.Configure<SiloMessagingOptions>(options => options.ResponseTimeout = cluster.Failure.ResponseTimeout);

        switch (cluster.Mode)
        {
            case ClusterMode.Embedded:
                silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, null, cluster.ServiceId, cluster.ClusterId);
                silo.Services.AddSqliteGrainStorage(FaceOrleansStorage.Name, new SqliteGrainStorageOptions { DatabasePath = cluster.StoragePath });
                silo.Services.AddSingleton<IGalleryStore>(services =>
                    new SqliteGalleryStore(cluster.GalleryPathOrDefault, LegacyEmbeddingsOf(services), services.GetRequiredService<IKeyProvider>(), Sealing(services),
                        services.GetRequiredKeyedService<TimeProvider>(RetentionClock.Key)));
                silo.Services.AddSingleton<IAuditStore>(new SqliteAuditStore(SqliteAuditStore.PathBeside(cluster.GalleryPathOrDefault)));
                DefaultGalleryIndexDirectory(silo, Path.Combine(Path.GetDirectoryName(Path.GetFullPath(cluster.GalleryPathOrDefault))!, "gallery-index"));
                DefaultMasterKeyFile(silo, Path.Combine(Path.GetDirectoryName(Path.GetFullPath(cluster.GalleryPathOrDefault))!, "master.key"));
                break;

            case ClusterMode.Redis:
                var redis = !string.IsNullOrWhiteSpace(cluster.Redis)
                    ? cluster.Redis
                    : throw new InvalidOperationException("FaceOrleans:Cluster:Redis must name the Redis server in Redis mode.");
                silo.ConfigureEndpoints(AdvertisedAddress.Resolve(cluster.AdvertisedAddress), cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: true);
                silo.UseRedisClustering(redis);
                // One connection for the gallery and the audit trails: a tenant's trail lives with its gallery.
                silo.Services.AddKeyedSingleton(nameof(RedisGalleryStore), (_, _) => RedisGalleryStore.Connect(redis));
                silo.Services.AddSingleton<IGalleryStore>(services => new RedisGalleryStore(
                    services.GetRequiredKeyedService<IConnectionMultiplexer>(nameof(RedisGalleryStore)), cluster.ServiceId, LegacyEmbeddingsOf(services),
                    services.GetRequiredService<IKeyProvider>(), Sealing(services), services.GetRequiredKeyedService<TimeProvider>(RetentionClock.Key)));
                silo.Services.AddSingleton<IAuditStore>(services =>
                    new RedisAuditStore(services.GetRequiredKeyedService<IConnectionMultiplexer>(nameof(RedisGalleryStore)), cluster.ServiceId));
                DefaultGalleryIndexDirectory(silo, Path.GetFullPath(Path.Combine("data", "gallery-index")));
                silo.AddRedisGrainStorage(FaceOrleansStorage.Name, options => options.Configure<IServiceProvider>((redisOptions, services) =>
                {
                    redisOptions.ConfigurationOptions = ConfigurationOptions.Parse(redis);
                    redisOptions.GrainStorageSerializer = FaceOrleansStorage.Serializer(services);
                }));
                break;

            default:
                throw new InvalidOperationException($"Unknown FaceOrleans:Cluster:Mode '{cluster.Mode}'.");
        }

        // With the stores: the retention sweep walks the tenants the audit store lists, and the protection checks the
        // master key against the gallery store and seals its clear rows (hosts that bring their own stores run neither).
        silo.Services.AddHostedService<RetentionSweeper>();
        silo.Services.AddSingleton<GalleryProtection>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(provider => provider.GetRequiredService<GalleryProtection>());

        return silo;
    }

    /// <summary>Gallery rows from before model identity are taken as this silo's recognizer's (the manifest default unless configured).</summary>
    private static LegacyEmbeddings LegacyEmbeddingsOf(IServiceProvider services) => LegacyEmbeddings.FromManifest(
        ModelCatalog.Locate(services.GetRequiredService<IOptions<ModelOptions>>().Value.Directory),
        services.GetRequiredService<IOptions<SliceOptions>>().Value.Recognizer);

    private static bool Sealing(IServiceProvider services) => services.GetRequiredService<IOptions<ProtectionOptions>>().Value.Enabled;

    /// <summary>The master key file looked for (and created while nothing is sealed) unless one is configured.</summary>
    private static void DefaultMasterKeyFile(ISiloBuilder silo, string path) =>
        silo.Services.PostConfigure<ProtectionOptions>(options => options.DefaultMasterKeyFile ??= path);

    /// <summary>Shard snapshots go to <paramref name="directory"/> unless <c>FaceOrleans:Gallery:IndexDirectory</c> says otherwise.</summary>
    private static void DefaultGalleryIndexDirectory(ISiloBuilder silo, string directory) =>
        silo.Services.PostConfigure<GalleryOptions>(options => options.IndexDirectory ??= directory);

    /// <summary>
    /// Builds the slice early in silo start-up, so missing models or bad slice settings stop the silo, and runs each
    /// model once before the silo joins the cluster: a restarted slice's tenants are placed on it as soon as it has
    /// joined, and their first calls should not pay for the first run of every session on a busy CPU.
    /// </summary>
    private sealed class LocalSliceStartup(IServiceProvider services) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(LocalSliceStartup), ServiceLifecycleStage.RuntimeInitialize,
                cancellationToken => services.GetRequiredService<LocalSlice>().WarmUpAsync(cancellationToken));
    }
}
