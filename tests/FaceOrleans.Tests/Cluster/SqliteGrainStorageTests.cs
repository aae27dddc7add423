using FaceOrleans.Contracts;
using FaceOrleans.Grains;
using FaceOrleans.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;

namespace FaceOrleans.Tests.Cluster;

public sealed class SqliteGrainStorageTests : IAsyncLifetime
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"faceorleans-storage-{Guid.NewGuid():N}.db");
    private ServiceProvider _services = null!;

    public Task InitializeAsync()
    {
        _services = new ServiceCollection()
            .AddSerializer(serializer => serializer.AddAssembly(typeof(TenantRecord).Assembly).AddAssembly(typeof(TenantSettings).Assembly))
            .BuildServiceProvider();
        return Task.CompletedTask;
    }

    private SqliteGrainStorage Storage() => new(
        "test",
        new SqliteGrainStorageOptions { DatabasePath = _database },
        FaceOrleansStorage.Serializer(_services),
        Options.Create(new ClusterOptions { ServiceId = "storage-tests" }));

    [Fact]
    public async Task Each_tenant_reads_back_its_own_record_and_shared_defaults_stay_untouched()
    {
        var storage = Storage();
        var first = new GrainState<TenantRecord>(new TenantRecord { Settings = new TenantSettings("One", 0.5f, 0.8f), FacesDetected = 3 });
        var second = new GrainState<TenantRecord>(new TenantRecord { Settings = new TenantSettings("Two", SimilarityThreshold: 0.3f) });
        await storage.WriteStateAsync("tenant", GrainId.Create("tenant", "one"), first);
        await storage.WriteStateAsync("tenant", GrainId.Create("tenant", "two"), second);

        var readFirst = new GrainState<TenantRecord>(new TenantRecord());
        var readSecond = new GrainState<TenantRecord>(new TenantRecord());
        await Storage().ReadStateAsync("tenant", GrainId.Create("tenant", "one"), readFirst);
        await Storage().ReadStateAsync("tenant", GrainId.Create("tenant", "two"), readSecond);

        Assert.Equal(new TenantSettings("One", 0.5f, 0.8f), readFirst.State!.Settings);
        Assert.Equal(3, readFirst.State!.FacesDetected);
        Assert.Equal(new TenantSettings("Two", SimilarityThreshold: 0.3f), readSecond.State!.Settings);
        Assert.Equal(new TenantSettings(), TenantSettings.Default);
        Assert.True(readFirst.RecordExists);
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_is_rejected_and_the_stored_record_is_kept()
    {
        var grain = GrainId.Create("tenant", "contended");
        var writer = new GrainState<TenantRecord>(new TenantRecord { Settings = new TenantSettings("v1") });
        await Storage().WriteStateAsync("tenant", grain, writer);
        var stale = new GrainState<TenantRecord>(new TenantRecord()) { ETag = writer.ETag };
        writer.State!.Settings = new TenantSettings("v2");
        await Storage().WriteStateAsync("tenant", grain, writer);

        stale.State!.Settings = new TenantSettings("lost update");
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage().WriteStateAsync("tenant", grain, stale));

        var read = new GrainState<TenantRecord>(new TenantRecord());
        await Storage().ReadStateAsync("tenant", grain, read);
        Assert.Equal("v2", read.State!.Settings.DisplayName);
    }

    [Fact]
    public async Task A_missing_record_reads_as_not_existing()
    {
        var read = new GrainState<TenantRecord>(new TenantRecord());
        await Storage().ReadStateAsync("tenant", GrainId.Create("tenant", "never-written"), read);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(_database) + "*"))
        {
            File.Delete(file);
        }
    }
}
