using FaceOrleans.Contracts;

namespace FaceOrleans.Tests.Cluster;

[Collection(SliceClusterGroup.Name)]
public sealed class SliceDownTests(SliceClusterFixture fixture)
{
    [Fact]
    public async Task A_stopped_slice_fails_its_tenants_fast_spares_the_others_and_comes_back_with_state_intact()
    {
        var access = fixture.Client.GetGrain<ITenantGrain>("access");
        await access.Configure(new TenantSettings("Door control", SimilarityThreshold: 0.45f));
        await access.Detect(new DetectRequest(TestPaths.Photo("img12.jpg")));
        var before = await access.GetState();
        var siloB = fixture.SiloOf("slice-b");
        var kioskGallery = fixture.Client.GetGrain<IGalleryGrain>("kiosk");
        await kioskGallery.CreateSubject("visitor", displayName: null, metadata: null);
        await kioskGallery.Enroll("visitor", new EnrollRequest(TestPaths.Photo("img12.jpg")));
        Assert.All(await TenantActivations.OfAsync(fixture.Client, "kiosk"), a => Assert.Equal(siloB.SiloAddress, a.Silo));

        await fixture.Cluster.StopSiloAsync(siloB);
        try
        {
            var ex = await EventuallyThrowsAsync<SliceUnavailableException>(() => access.Detect(new DetectRequest(TestPaths.Photo("img12.jpg"))));
            Assert.Equal("access", ex.TenantId);
            Assert.Equal("slice-b", ex.SliceId);
            Assert.Equal(7, ex.RetryAfterSeconds);
            // Once known to be down, every call fails the same way, at once.
            await Assert.ThrowsAsync<SliceUnavailableException>(() => access.GetState());

            // kiosk has a standby slice; access has none, so it never lands on another tenant's slice.
            var kiosk = await fixture.Client.GetGrain<ITenantGrain>("kiosk").Locate();
            Assert.Equal("slice-c", kiosk.SliceId);
            Assert.True(kiosk.IsStandby);

            // kiosk's gallery follows it to the standby, shards and all, with its faces read back from the store.
            var onStandby = await Eventually(() => kioskGallery.Identify(new IdentifyRequest(TestPaths.Photo("img12.jpg"))));
            Assert.Equal("visitor", onStandby.Faces[0].Match);
            Assert.All(await TenantActivations.OfAsync(fixture.Client, "kiosk"), a => Assert.Equal(fixture.SiloOf("slice-c").SiloAddress, a.Silo));

            Assert.Single((await fixture.Client.GetGrain<ITenantGrain>("attendance").Detect(new DetectRequest(TestPaths.Photo("img1.jpg")))).Faces);
            Assert.Single((await fixture.Client.GetGrain<ITenantGrain>("analytics").Detect(new DetectRequest(TestPaths.Photo("img2.jpg")))).Faces);
        }
        finally
        {
            await fixture.StartSiloForAsync("slice-b");
        }

        var after = await Eventually(() => access.GetState());
        Assert.Equal("slice-b", after.Location.SliceId);
        Assert.Equal(before.Settings, after.Settings);
        Assert.Equal(before.RequestsByOperation["detect"], after.RequestsByOperation["detect"]);
        Assert.Equal(before.FacesDetected, after.FacesDetected);
        Assert.Single((await access.Detect(new DetectRequest(TestPaths.Photo("img12.jpg")))).Faces);

        // kiosk leaves its standby slice once its own slice is live again, and so do its gallery and shards:
        // each leaves after the next call it serves there, and the call after that is placed at home.
        var kioskHome = await Polling.UntilAsync(
            () => fixture.Client.GetGrain<ITenantGrain>("kiosk").Locate(), l => l.SliceId == "slice-b", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));
        Assert.False(kioskHome.IsStandby);
        var home = fixture.SiloOf("slice-b").SiloAddress;
        await Polling.UntilAsync(
            async () =>
            {
                await kioskGallery.Identify(new IdentifyRequest(TestPaths.Photo("img12.jpg")));
                return await TenantActivations.OfAsync(fixture.Client, "kiosk");
            },
            activations => activations.Count(a => a.Grain.Type.ToString() == "galleryshard") == 8 && activations.All(a => a.Silo.Equals(home)),
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));
        Assert.Equal("visitor", (await kioskGallery.Identify(new IdentifyRequest(TestPaths.Photo("img12.jpg")))).Faces[0].Match);
    }

    /// <summary>Membership takes a moment to tell every silo that one has gone; retry until the typed error appears.</summary>
    private static async Task<T> EventuallyThrowsAsync<T>(Func<Task> call)
        where T : Exception
    {
        Exception? last = null;
        for (var attempt = 0; attempt < 60; attempt++)
        {
            try
            {
                await call();
                throw new Xunit.Sdk.XunitException("the call succeeded while its slice was down");
            }
            catch (T expected)
            {
                return expected;
            }
            catch (Exception other) when (other is not Xunit.Sdk.XunitException)
            {
                last = other;
            }

            await Task.Delay(500);
        }

        throw new Xunit.Sdk.XunitException($"expected {typeof(T).Name}; last saw {last?.GetType().Name}: {last?.Message}");
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (attempt < 60 && ex is SliceUnavailableException or SiloUnavailableException or OrleansMessageRejectionException)
            {
                await Task.Delay(500);
            }
        }
    }
}
