using FaceOrleans.Contracts;
using FaceOrleans.Tests.Cluster;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Gallery;

/// <summary>A shard holds one recognizer's embeddings at a time; emptied, it takes another's, even of another dimension.</summary>
[Collection(SliceClusterGroup.Name)]
public sealed class GalleryShardModelTests(SliceClusterFixture fixture)
{
    [Fact]
    public async Task A_shard_refuses_another_recognizer_until_it_is_empty_and_then_takes_it()
    {
        var tenant = "shardmodel-" + Guid.NewGuid().ToString("N")[..8];
        var (first, second) = (ShippedModels.Identity("face_embed_512d"), ShippedModels.Identity("mobilefacenet_128d"));
        await fixture.GalleryStore.CreateSubjectAsync(tenant, new SubjectInfo("p", null, null, DateTimeOffset.UtcNow, 0));
        var shard = fixture.Client.GetGrain<IGalleryShardGrain>($"{tenant}/0");
        var random = new Random(17);
        var old = GalleryIndexTests.UnitVector(random, 512);
        Assert.True(await shard.Add("f1", "p", old, first, null));
        Assert.Equal([first], await shard.GetModels());

        var refusedAdd = await Rejections.ThrowsAsync(RejectionCode.GalleryModelMismatch,
            () => shard.Add("f2", "p", GalleryIndexTests.UnitVector(random, 128), second, null));
        Assert.Contains(first.ToString(), refusedAdd.Message, StringComparison.Ordinal);
        await Rejections.ThrowsAsync(RejectionCode.GalleryModelMismatch, () => shard.Search([GalleryIndexTests.UnitVector(random, 128)], second, 1, null));
        Assert.Equal("f1", (await shard.Search([old], first, 1, null))[0][0].FaceId);

        // Deleted as the gallery deletes a face: from the store first, then from the shard's index.
        Assert.Equal(0, await fixture.GalleryStore.DeleteFaceAsync(tenant, "p", "f1"));
        Assert.Equal(1, await shard.Remove(["f1"]));
        Assert.Empty(await shard.GetModels());
        var fresh = GalleryIndexTests.UnitVector(random, 128);
        Assert.True(await shard.Add("f3", "p", fresh, second, null));
        Assert.Equal([second], await shard.GetModels());
        Assert.Equal("f3", (await shard.Search([fresh], second, 1, null))[0][0].FaceId);
    }
}
