using FaceOrleans.Contracts;

namespace FaceOrleans.Tests.Cluster;

[Collection(SliceClusterGroup.Name)]
public sealed class PlacementTests(SliceClusterFixture fixture)
{
    [Fact]
    public async Task Every_pinned_tenant_activates_on_the_silo_owning_its_slice()
    {
        foreach (var (tenant, slice) in SliceClusterFixture.SliceOfTenant)
        {
            var location = await fixture.Client.GetGrain<ITenantGrain>(tenant).Locate();

            Assert.Equal(slice, location.SliceId);
            Assert.Equal(fixture.SiloOf(slice).SiloAddress, SiloAddress.FromParsableString(location.Silo));
            Assert.False(location.IsStandby);
        }
    }

    [Theory]
    [InlineData("slice-a")]
    [InlineData("slice-b")]
    [InlineData("slice-c")]
    public async Task Every_inference_grain_activates_on_the_silo_owning_its_slice(string slice)
    {
        var stats = await fixture.Client.GetGrain<IInferenceGrain>(slice).GetStats();

        Assert.Equal(slice, stats.Location.SliceId);
        Assert.Equal(fixture.SiloOf(slice).SiloAddress, SiloAddress.FromParsableString(stats.Location.Silo));
        Assert.Equal("CPU", stats.ExecutionProvider);
    }

    [Theory]
    [InlineData("attendance")]
    [InlineData("access")]
    [InlineData("analytics")]
    public async Task A_tenants_gallery_and_all_its_shards_activate_on_its_own_silo_and_nowhere_else(string tenant)
    {
        var gallery = fixture.Client.GetGrain<IGalleryGrain>(tenant);
        var subject = "placed-" + Guid.NewGuid().ToString("N")[..8];
        await gallery.CreateSubject(subject, displayName: null, metadata: null);
        await gallery.Enroll(subject, new EnrollRequest(TestPaths.Photo("img12.jpg")));
        var found = await gallery.Identify(new IdentifyRequest(TestPaths.Photo("img12.jpg"))); // asks every shard

        var activations = await TenantActivations.OfAsync(fixture.Client, tenant);

        Assert.True(found.GallerySize >= 1);
        Assert.Equal(["gallery", "galleryshard", "tenant"], activations.Select(a => a.Grain.Type.ToString()).Distinct().Order());
        Assert.Equal(8, activations.Count(a => a.Grain.Type.ToString() == "galleryshard"));
        var home = fixture.SiloOf(SliceClusterFixture.SliceOfTenant[tenant]).SiloAddress;
        Assert.All(activations, a => Assert.Equal(home, a.Silo));
    }

    [Fact]
    public async Task A_tenant_pinned_nowhere_goes_to_the_default_slice()
    {
        var location = await fixture.Client.GetGrain<ITenantGrain>("walk-in-" + Guid.NewGuid().ToString("N")).Locate();

        Assert.Equal("slice-a", location.SliceId);
        Assert.Equal(fixture.SiloOf("slice-a").SiloAddress, SiloAddress.FromParsableString(location.Silo));
    }

    [Fact]
    public async Task A_tenant_pinned_by_configuration_to_a_slice_never_seen_is_refused_not_sent_to_the_default_slice()
    {
        var ex = await Assert.ThrowsAsync<SliceUnavailableException>(() => fixture.Client.GetGrain<ITenantGrain>("vault").Locate());

        Assert.Equal("vault", ex.TenantId);
        Assert.Equal("slice-v", ex.SliceId);
        Assert.Equal(7, ex.RetryAfterSeconds);
    }

    [Fact]
    public async Task A_slice_nobody_owns_is_unavailable_with_a_retry_hint()
    {
        var ex = await Assert.ThrowsAsync<SliceUnavailableException>(
            () => fixture.Client.GetGrain<IInferenceGrain>("slice-z").GetStats());

        Assert.Equal("slice-z", ex.SliceId);
        Assert.Equal(7, ex.RetryAfterSeconds);
    }
}
