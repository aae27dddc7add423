using FaceOrleans.Contracts;
using FaceOrleans.Grains;
using FaceOrleans.Grains.Hosting;
using Microsoft.Extensions.Hosting;

namespace FaceOrleans.Tests.Cluster;

/// <summary>Whole clusters stopped and started again, as an operator's restart or a power cut would.</summary>
public sealed class DurableClusterTests
{
    [Fact]
    public async Task Redis_backs_membership_and_state_for_two_silos_and_state_survives_a_full_restart()
    {
        await using var redis = await RedisServer.StartAsync();
        var clusterId = "redis-" + Guid.NewGuid().ToString("N")[..8];
        Dictionary<string, string?> Settings(string slice, string[] tenants)
        {
            var settings = RealHosts.SiloSettings(slice, tenants, clusterId);
            settings["FaceOrleans:Cluster:Mode"] = "Redis";
            settings["FaceOrleans:Cluster:Redis"] = redis.ConnectionString;
            settings["FaceOrleans:Placement:DefaultSlice"] = "mig-1";
            return settings;
        }

        var silo1 = await RealHosts.StartSiloAsync(Settings("mig-1", ["attendance"]));
        var silo2 = await RealHosts.StartSiloAsync(Settings("mig-2", ["access"]));
        var client = await RealHosts.StartClientAsync(clusterId, c => c.UseRedisClustering(redis.ConnectionString));

        var attendance = client.Client().GetGrain<ITenantGrain>("attendance");
        var access = client.Client().GetGrain<ITenantGrain>("access");
        var attendanceAt = await RealHosts.WhenPlacedAsync(() => attendance.Locate());
        var accessAt = await RealHosts.WhenPlacedAsync(() => access.Locate());
        Assert.Equal(("mig-1", silo1.SiloAddress()), (attendanceAt.SliceId, SiloAddress.FromParsableString(attendanceAt.Silo)));
        Assert.Equal(("mig-2", silo2.SiloAddress()), (accessAt.SliceId, SiloAddress.FromParsableString(accessAt.Silo)));

        await attendance.Configure(new TenantSettings("Time clock", SimilarityThreshold: 0.5f, DetectionThreshold: 0.8f));
        var compared = await access.Compare(new CompareRequest(TestPaths.Photo("img1.jpg"), TestPaths.Photo("img10.jpg")));
        await access.Configure(new TenantSettings(StoreEnrollmentPhotos: true));
        var annsFace = await EnrollTwoPeopleAsync(client.Client().GetGrain<IGalleryGrain>("access"));
        Assert.True(compared.IsSamePerson);
        var before = (await attendance.GetState(), await access.GetState());

        await RealHosts.StopAllAsync(client, silo1, silo2);
        Assert.Contains(await redis.KeysAsync(), k => k.Contains("attendance", StringComparison.Ordinal));

        silo1 = await RealHosts.StartSiloAsync(Settings("mig-1", ["attendance"]));
        silo2 = await RealHosts.StartSiloAsync(Settings("mig-2", ["access"]));
        client = await RealHosts.StartClientAsync(clusterId, c => c.UseRedisClustering(redis.ConnectionString));
        try
        {
            var attendanceAfter = await RealHosts.WhenPlacedAsync(() => client.Client().GetGrain<ITenantGrain>("attendance").GetState());
            var accessAfter = await RealHosts.WhenPlacedAsync(() => client.Client().GetGrain<ITenantGrain>("access").GetState());

            Assert.Equal(before.Item1.Settings, attendanceAfter.Settings);
            Assert.Equal(new TenantSettings(StoreEnrollmentPhotos: true), accessAfter.Settings);
            Assert.Equal(1, accessAfter.RequestsByOperation["compare"]);
            Assert.Equal(before.Item2.FacesDetected, accessAfter.FacesDetected);
            Assert.Equal(silo2.SiloAddress(), SiloAddress.FromParsableString(accessAfter.Location.Silo));
            await AssertGalleryBackAsync(client.Client().GetGrain<IGalleryGrain>("access"));
            Assert.Equal(TestPaths.Photo("img10.jpg"), await client.Client().GetGrain<IGalleryGrain>("access").GetFacePhoto("ann", annsFace));
        }
        finally
        {
            await RealHosts.StopAllAsync(client, silo1, silo2);
        }
    }

    [Fact]
    public async Task Embedded_default_keeps_tenant_configuration_in_sqlite_across_a_restart()
    {
        var database = Path.Combine(Path.GetTempPath(), $"faceorleans-embedded-{Guid.NewGuid():N}.db");
        var clusterId = "embedded-" + Guid.NewGuid().ToString("N")[..8];
        var settings = RealHosts.SiloSettings("cpu-0", ["attendance"], clusterId);
        settings["FaceOrleans:Cluster:Mode"] = "Embedded";
        settings["FaceOrleans:Cluster:StoragePath"] = database;
        var gateway = int.Parse(settings["FaceOrleans:Cluster:GatewayPort"]!, System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            var silo = await RealHosts.StartSiloAsync(settings);
            var client = await RealHosts.StartClientAsync(clusterId, c => c.UseLocalhostClustering(gateway, "faceorleans-tests", clusterId));
            var tenant = client.Client().GetGrain<ITenantGrain>("attendance");
            await RealHosts.WhenPlacedAsync(() => tenant.Configure(new TenantSettings("Front desk", SimilarityThreshold: 0.37f, MaxImagePixels: 12_000_000)));
            await tenant.Detect(new DetectRequest(TestPaths.Photo("couple.jpg")));
            await EnrollTwoPeopleAsync(client.Client().GetGrain<IGalleryGrain>("attendance"));
            await RealHosts.StopAllAsync(client, silo);

            silo = await RealHosts.StartSiloAsync(settings);
            client = await RealHosts.StartClientAsync(clusterId, c => c.UseLocalhostClustering(gateway, "faceorleans-tests", clusterId));
            try
            {
                var state = await RealHosts.WhenPlacedAsync(() => client.Client().GetGrain<ITenantGrain>("attendance").GetState());

                Assert.Equal(new TenantSettings("Front desk", SimilarityThreshold: 0.37f, MaxImagePixels: 12_000_000), state.Settings);
                Assert.Equal(1, state.RequestsByOperation["detect"]);
                Assert.Equal(2 + 3, state.FacesDetected); // couple.jpg, then the three enrolled photos
                await AssertGalleryBackAsync(client.Client().GetGrain<IGalleryGrain>("attendance"));
            }
            finally
            {
                await RealHosts.StopAllAsync(client, silo);
            }
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(database) + "*"))
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>Two people, one with two photos, enrolled before a restart; returns Ann's first face id.</summary>
    private static async Task<string> EnrollTwoPeopleAsync(IGalleryGrain gallery)
    {
        await gallery.CreateSubject("ann", "Ann", new Dictionary<string, string> { ["badge"] = "7" });
        await gallery.CreateSubject("ben", "Ben", null);
        var first = await gallery.Enroll("ann", new EnrollRequest(TestPaths.Photo("img10.jpg")));
        await gallery.Enroll("ann", new EnrollRequest(TestPaths.Photo("img11.jpg")));
        await gallery.Enroll("ben", new EnrollRequest(TestPaths.Photo("img12.jpg")));
        return first.FaceId;
    }

    /// <summary>After the restart every subject and face is back and identification still finds Ann.</summary>
    private static async Task AssertGalleryBackAsync(IGalleryGrain gallery)
    {
        var subjects = await RealHosts.WhenPlacedAsync(() => gallery.ListSubjects(1, 10));
        var found = await gallery.Identify(new IdentifyRequest(TestPaths.Photo("img2.jpg")));

        Assert.Equal(["ann", "ben"], subjects.Items.Select(s => s.Id));
        Assert.Equal([2, 1], subjects.Items.Select(s => s.FaceCount));
        Assert.Equal("7", subjects.Items[0].Metadata!["badge"]);
        Assert.Equal(3, found.GallerySize);
        Assert.Equal("ann", found.Faces[0].Match);
    }

    [Fact]
    public async Task A_cluster_that_refuses_unknown_tenants_refuses_them_and_serves_pinned_ones()
    {
        var builder = new Orleans.TestingHost.InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddFaceOrleansSlice(SliceClusterFixture.SiloConfiguration("slice-a", refuseUnknownTenants: true));
            silo.AddMemoryGrainStorage(FaceOrleansStorage.Name);
        });
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        await SliceClusterFixture.WaitForSliceAdvertsAsync(cluster);

        var refused = await Assert.ThrowsAsync<TenantNotServedException>(() => cluster.Client.GetGrain<ITenantGrain>("stranger").Locate());
        var pinned = await cluster.Client.GetGrain<ITenantGrain>("attendance").Locate();

        Assert.Equal("stranger", refused.TenantId);
        Assert.Equal("slice-a", pinned.SliceId);
        await cluster.StopAllSilosAsync();
    }
}
