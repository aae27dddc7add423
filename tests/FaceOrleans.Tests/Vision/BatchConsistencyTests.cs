using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Vision;

[Collection(SharedVisionModels.Name)]
public sealed class BatchConsistencyTests(VisionFixture fixture)
{
    private static readonly string[] Photos =
        ["img1.jpg", "couple.jpg", "img12.jpg", "selfie-many-people.jpg", "img40.jpg", "img27.jpg", "img54.jpg", "img33.jpg"];

    [Fact]
    public async Task A_batch_of_images_gives_the_same_detections_and_embeddings_as_single_calls()
    {
        var images = Photos.Select(TestPaths.Photo).ToArray();

        var batched = await fixture.Pipeline.EmbedAsync(images, fixture.Defaults);
        var singles = new List<IReadOnlyList<EmbeddedFace>>();
        foreach (var image in images)
        {
            singles.Add((await fixture.Pipeline.EmbedAsync([image], fixture.Defaults))[0]);
        }

        Assert.Equal(Photos.Length, batched.Count);
        for (var i = 0; i < images.Length; i++)
        {
            var header = ImageHeader.Read(images[i]);
            var size = Math.Max(header.Width, header.Height);
            Assert.Equal(singles[i].Count, batched[i].Count);
            for (var f = 0; f < singles[i].Count; f++)
            {
                var (one, many) = (singles[i][f], batched[i][f]);
                Assert.Equal(one.Face.Score, many.Face.Score, 1e-4);
                // Coordinates compared as a fraction of the photo, the scale the network works at.
                Assert.Equal(one.Face.Box.Left / size, many.Face.Box.Left / size, 1e-4);
                Assert.Equal(one.Face.Box.Bottom / size, many.Face.Box.Bottom / size, 1e-4);
                for (var k = 0; k < DetectedFace.LandmarkCount; k++)
                {
                    Assert.Equal(one.Face.Landmarks[k].X / size, many.Face.Landmarks[k].X / size, 1e-4);
                    Assert.Equal(one.Face.Landmarks[k].Y / size, many.Face.Landmarks[k].Y / size, 1e-4);
                }

                for (var d = 0; d < one.Embedding.Length; d++)
                {
                    Assert.Equal(one.Embedding[d], many.Embedding[d], 1e-4);
                }
            }
        }
    }

    [Fact]
    public async Task Requests_micro_batched_together_across_tenants_get_the_same_faces_and_embeddings_as_alone()
    {
        // A GPU slice's policy on the CPU: one model call at a time, inputs of one size from any request gathered for
        // up to the longest wait, so the requests below, sent at once, share model calls.
        using var scheduler = new SliceScheduler("micro-batch", new SchedulerOptions { ConcurrentCalls = 1, MaxBatch = 8, MaxWait = TimeSpan.FromSeconds(1) });
        var images = Photos.Select(TestPaths.Photo).ToArray();

        var together = await Task.WhenAll(images.Select((image, i) =>
            Task.Run(() => fixture.Pipeline.WithRunner(scheduler.For($"tenant-{i % 3}")).EmbedAsync([image], fixture.Defaults))));
        var alone = new List<IReadOnlyList<EmbeddedFace>>();
        foreach (var image in images)
        {
            alone.Add((await fixture.Pipeline.EmbedAsync([image], fixture.Defaults))[0]);
        }

        var stats = scheduler.Stats;
        Assert.True(stats.BatchSizes.Skip(1).Sum() > 0, $"no model call held more than one request's inputs: {string.Join(",", stats.BatchSizes)}");
        Assert.True(stats.Batches < stats.BatchedInputs);
        Assert.Equal(Photos.Length * 2, stats.Completed); // a detection and an embedding request per photo
        for (var i = 0; i < images.Length; i++)
        {
            var (one, many) = (alone[i], Assert.Single(together[i]));
            Assert.Equal(one.Count, many.Count);
            for (var f = 0; f < one.Count; f++)
            {
                Assert.Equal(one[f].Face.Score, many[f].Face.Score, 1e-4);
                Assert.Equal(one[f].Face.Box.Left, many[f].Face.Box.Left, 1e-2);
                Assert.Equal(one[f].Face.Box.Top, many[f].Face.Box.Top, 1e-2);
                for (var d = 0; d < one[f].Embedding.Length; d++)
                {
                    Assert.Equal(one[f].Embedding[d], many[f].Embedding[d], 1e-4);
                }
            }
        }
    }

    [Fact]
    public async Task Thirty_two_faces_embedded_at_once_match_one_by_one()
    {
        // Crops from every face of several photos, embedded in one call and then one at a time.
        var faces = new List<(OpenCvSharp.Mat Image, DetectedFace Face)>();
        var decoded = Photos.Select(p => ImageDecoder.Decode(TestPaths.Photo(p), ImageLimits.Default)).ToArray();
        try
        {
            foreach (var image in decoded)
            {
                faces.AddRange(fixture.Faces(image.Bgr).Select(f => (image.Bgr, f)));
            }

            while (faces.Count < 32)
            {
                faces.AddRange(faces.Take(32 - faces.Count).ToArray());
            }

            var batched = await fixture.Pipeline.EmbedFacesAsync(faces);
            for (var i = 0; i < faces.Count; i++)
            {
                var single = (await fixture.Pipeline.EmbedFacesAsync([faces[i]]))[0];
                for (var d = 0; d < single.Length; d++)
                {
                    Assert.Equal(single[d], batched[i][d], 1e-4);
                }
            }
        }
        finally
        {
            foreach (var image in decoded)
            {
                image.Dispose();
            }
        }
    }
}
