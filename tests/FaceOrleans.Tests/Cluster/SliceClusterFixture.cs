using FaceOrleans.Contracts;
using FaceOrleans.Grains;
using FaceOrleans.Grains.Audit;
using FaceOrleans.Grains.Gallery;
using FaceOrleans.Grains.Hosting;
using FaceOrleans.Grains.Placement;
using FaceOrleans.Grains.Slices;
using FaceOrleans.Grains.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.TestingHost;

namespace FaceOrleans.Tests.Cluster;

/// <summary>
/// Three real silos in one process, each owning one CPU slice with the real models, sharing one SQLite file
/// for tenant state:
/// slice-a (default for unknown tenants): attendance, payroll, lobby;
/// slice-b: access, kiosk;
/// slice-c: analytics, and standby for kiosk.
/// </summary>
public sealed class SliceClusterFixture : IAsyncLifetime
{
    public static readonly IReadOnlyDictionary<string, string> SliceOfTenant = new Dictionary<string, string>
    {
        ["attendance"] = "slice-a",
        ["payroll"] = "slice-a",
        ["lobby"] = "slice-a",
        ["access"] = "slice-b",
        ["kiosk"] = "slice-b",
        ["analytics"] = "slice-c",
    };

    private readonly string _database = Path.Combine(Path.GetTempPath(), $"faceorleans-cluster-{Guid.NewGuid():N}.db");

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    /// <summary>The silos' gallery store, for tests that seed or inspect records directly.</summary>
    public IGalleryStore GalleryStore => _galleryStore ??= new SqliteGalleryStore(_database + "-gallery");

    private IGalleryStore? _galleryStore;

    /// <summary>The slice the next silo started gets, when not the one its name implies (a restarted silo).</summary>
    private string? _nextSlice;

    /// <summary>Slice owned by each test silo, by the test cluster's silo names.</summary>
    public static string SliceOfSilo(string siloName) => siloName switch
    {
        "Silo_0" => "slice-a",
        "Silo_1" => "slice-b",
        "Silo_2" => "slice-c",
        _ => throw new InvalidOperationException($"No slice is assigned to test silo '{siloName}'."),
    };

    public static IConfiguration SiloConfiguration(string sliceId, bool refuseUnknownTenants = false)
    {
        var settings = new Dictionary<string, string?>
        {
            ["FaceOrleans:Slice:Id"] = sliceId,
            ["FaceOrleans:Slice:Device"] = "cpu",
            // Three slices share two cores here; one thread each keeps them from fighting over both.
            ["FaceOrleans:Slice:IntraOpThreads"] = "1",
            // One model call at a time, as a GPU slice runs them: the serialisation and cancellation tests measure that slot.
            ["FaceOrleans:Slice:ConcurrentCalls"] = "1",
            ["FaceOrleans:Models:Directory"] = TestPaths.ModelsDirectory,
            ["FaceOrleans:Placement:DefaultSlice"] = refuseUnknownTenants ? null : "slice-a",
            ["FaceOrleans:Placement:RefuseUnknownTenants"] = refuseUnknownTenants.ToString(),
            ["FaceOrleans:Placement:RetryAfterSeconds"] = "7",
            ["FaceOrleans:Tenants:CounterFlushInterval"] = "00:00:01",
            // Small, paced re-shard batches, so that tests can watch a re-shard in progress.
            ["FaceOrleans:Gallery:ReshardBatchSize"] = "50",
            ["FaceOrleans:Gallery:ReshardPause"] = "00:00:00.020",
            // Pinned cluster-wide to a slice no silo of this cluster owns.
            ["FaceOrleans:Placement:Pins:vault"] = "slice-v",
        };
        var tenants = SliceOfTenant.Where(p => p.Value == sliceId).Select(p => p.Key).ToArray();
        for (var i = 0; i < tenants.Length; i++)
        {
            settings[$"FaceOrleans:Slice:Tenants:{i}"] = tenants[i];
        }

        if (sliceId == "slice-c")
        {
            settings["FaceOrleans:Slice:StandbyFor:0"] = "kiosk";
        }

        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddFaceOrleansSlice(SiloConfiguration(Interlocked.Exchange(ref _nextSlice, null) ?? SliceOfSilo(options.SiloName)));
            silo.Services.AddSqliteGrainStorage(FaceOrleansStorage.Name, new SqliteGrainStorageOptions { DatabasePath = _database });
            silo.Services.AddSingleton<IGalleryStore>(new SqliteGalleryStore(_database + "-gallery"));
            silo.Services.AddSingleton<IAuditStore>(new SqliteAuditStore(_database + "-audit"));
            silo.Services.Configure<GalleryOptions>(options => options.IndexDirectory = _database + "-gallery-index");
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await WaitForSliceAdvertsAsync(Cluster);
    }

    public InProcessSiloHandle SiloOf(string sliceId) =>
        Cluster.Silos.Single(s => s.ServiceProvider.GetRequiredService<LocalSlice>().Id == sliceId);

    /// <summary>Starts a new silo owning <paramref name="sliceId"/>, as an operator restarting a slice's container would.</summary>
    public async Task StartSiloForAsync(string sliceId)
    {
        _nextSlice = sliceId;
        await Cluster.StartAdditionalSiloAsync();
        await WaitForSliceAdvertsAsync(Cluster);
    }

    /// <summary>
    /// Waits until every silo has every other silo's slice advert: until then placement refuses to guess
    /// (a tenant whose slice is not yet known might be misplaced).
    /// </summary>
    public static async Task WaitForSliceAdvertsAsync(InProcessTestCluster cluster)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var silos = cluster.GetActiveSilos().Cast<InProcessSiloHandle>().ToArray();
            var complete = silos.All(observer =>
            {
                var cache = observer.ServiceProvider.GetRequiredService<ISiloMetadataCache>();
                return silos.All(s => SliceAdvert.FromMetadata(cache.GetSiloMetadata(s.SiloAddress).Metadata) is not null);
            });
            if (complete)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Silos did not learn each other's slice adverts within 60 s.");
            }

            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_database)!, Path.GetFileName(_database) + "*"))
        {
            File.Delete(file);
        }

        if (Directory.Exists(_database + "-gallery-index"))
        {
            Directory.Delete(_database + "-gallery-index", recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SliceClusterGroup : ICollectionFixture<SliceClusterFixture>
{
    public const string Name = "slice cluster";
}
