using FaceOrleans.Contracts;
using FaceOrleans.Tests.Cluster;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Gallery;

/// <summary>1:N identification on the real models and photos, through the grains of the three-silo cluster.</summary>
[Collection(SliceClusterGroup.Name)]
public sealed class GalleryTests(SliceClusterFixture fixture)
{
    /// <summary>The people of pairs.csv: its same-person pairs joined into groups of photos.</summary>
    public static IReadOnlyList<string[]> People()
    {
        var parent = new Dictionary<string, string>();
        string Find(string x)
        {
            while (parent.GetValueOrDefault(x, x) != x)
            {
                x = parent[x];
            }

            return x;
        }

        foreach (var pair in LabelledPair.ReadCsv(TestPaths.PairsCsv))
        {
            parent.TryAdd(pair.ImageA, pair.ImageA);
            parent.TryAdd(pair.ImageB, pair.ImageB);
            if (pair.SamePerson)
            {
                parent[Find(pair.ImageA)] = Find(pair.ImageB);
            }
        }

        return parent.Keys.GroupBy(Find).Select(g => g.Order(StringComparer.Ordinal).ToArray()).Where(g => g.Length >= 2)
            .OrderBy(g => g[0], StringComparer.Ordinal).ToArray();
    }

    private IGalleryGrain NewGallery(out string tenant)
    {
        tenant = "gallery-" + Guid.NewGuid().ToString("N")[..8];
        return fixture.Client.GetGrain<IGalleryGrain>(tenant);
    }

    [Fact]
    public async Task Enrolled_people_are_identified_top1_in_their_other_photos_and_a_stranger_is_unknown()
    {
        var people = People();
        Assert.True(people.Count >= 10, $"pairs.csv links only {people.Count} people");
        var stranger = people[^1];
        var enrolled = people.Take(people.Count - 1).ToArray();
        var gallery = NewGallery(out _);
        foreach (var photos in enrolled)
        {
            await gallery.CreateSubject(photos[0], displayName: null, metadata: null);
            await gallery.Enroll(photos[0], new EnrollRequest(TestPaths.Photo(photos[0]), UseLargestFace: true));
        }

        foreach (var photos in enrolled)
        {
            foreach (var photo in photos.Skip(1))
            {
                var result = await gallery.Identify(new IdentifyRequest(TestPaths.Photo(photo), TopK: 3));
                var face = result.Faces.MaxBy(f => (f.Face.Box.Right - f.Face.Box.Left) * (f.Face.Box.Bottom - f.Face.Box.Top))!;
                Assert.True(photos[0] == face.Match, $"{photo}: expected {photos[0]}, got {face.Match ?? "unknown"} ({string.Join(", ", face.Candidates.Select(c => $"{c.SubjectId} {c.Similarity:0.000}"))})");
                Assert.Equal(enrolled.Length, result.GallerySize);
            }
        }

        foreach (var photo in stranger)
        {
            var result = await gallery.Identify(new IdentifyRequest(TestPaths.Photo(photo)));
            Assert.All(result.Faces, f => Assert.Null(f.Match));
        }
    }

    [Fact]
    public async Task A_deleted_subject_is_never_returned_again()
    {
        var gallery = NewGallery(out _);
        await gallery.CreateSubject("ann", "Ann", null);
        await gallery.Enroll("ann", new EnrollRequest(TestPaths.Photo("img10.jpg")));
        await gallery.Enroll("ann", new EnrollRequest(TestPaths.Photo("img11.jpg")));
        Assert.Equal("ann", (await gallery.Identify(new IdentifyRequest(TestPaths.Photo("img2.jpg")))).Faces[0].Match);

        await gallery.DeleteSubject("ann");

        var after = await gallery.Identify(new IdentifyRequest(TestPaths.Photo("img2.jpg")));
        Assert.Empty(after.Faces[0].Candidates);
        Assert.Equal(0, after.GallerySize);
        Assert.Equal(0, (await gallery.ListSubjects(1, 10)).Total);
        await Rejections.ThrowsAsync(RejectionCode.UnknownSubject, () => gallery.Enroll("ann", new EnrollRequest(TestPaths.Photo("img10.jpg"))));
    }

    [Fact]
    public async Task Subjects_are_listed_a_page_at_a_time_with_totals_and_face_counts()
    {
        var gallery = NewGallery(out _);
        for (var i = 0; i < 7; i++)
        {
            await gallery.CreateSubject($"s{i}", $"Subject {i}", new Dictionary<string, string> { ["badge"] = $"B{i}" });
        }

        await gallery.Enroll("s2", new EnrollRequest(TestPaths.Photo("img12.jpg")));
        var first = await gallery.ListSubjects(1, 3);
        var third = await gallery.ListSubjects(3, 3);
        var beyond = await gallery.ListSubjects(4, 3);

        Assert.Equal(7, first.Total);
        Assert.Equal(["s0", "s1", "s2"], first.Items.Select(s => s.Id));
        Assert.Equal(1, first.Items[2].FaceCount);
        Assert.Equal("B2", first.Items[2].Metadata!["badge"]);
        Assert.Equal(["s6"], third.Items.Select(s => s.Id));
        Assert.Empty(beyond.Items);
        await Rejections.ThrowsAsync(RejectionCode.SubjectExists, () => gallery.CreateSubject("s1", null, null));
        await Rejections.ThrowsAsync(RejectionCode.InvalidParameter, () => gallery.ListSubjects(0, 3));
    }

    [Fact]
    public async Task One_hundred_concurrent_enrollments_store_exactly_one_hundred_faces()
    {
        var gallery = NewGallery(out var tenant);
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => gallery.CreateSubject($"p{i}", null, null)));

        // Eight enrollments interleave on the (reentrant) gallery grain at any time, until all hundred are done. With all
        // hundred in flight at once, each call waited for every model call queued before it on the slice, and on a
        // loaded CPU the last ones outlasted Orleans' response timeout (NumRunning=84 on the grain) before they ran:
        // the test then measured the machine's speed, not whether concurrent enrollments each store exactly one face.
        var enrolled = new System.Collections.Concurrent.ConcurrentBag<EnrolledFace>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 100), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, cancellationToken) =>
            enrolled.Add(await gallery.Enroll($"p{i % 10}", new EnrollRequest(TestPaths.Photo(i % 2 == 0 ? "img12.jpg" : "img10.jpg")), cancellationToken)));

        Assert.Equal(100, enrolled.Select(e => e.FaceId).Distinct().Count());
        var page = await gallery.ListSubjects(1, 100);
        Assert.Equal(100, page.Items.Sum(s => s.FaceCount));
        var shards = await Task.WhenAll(Enumerable.Range(0, 8).Select(s => fixture.Client.GetGrain<IGalleryShardGrain>($"{tenant}/{s}").Count()));
        Assert.Equal(100, shards.Sum());
        Assert.True(shards.Count(c => c > 0) >= 4, "faces were not spread over the shards");
    }

    [Fact]
    public async Task One_tenant_never_sees_or_matches_another_tenants_subjects()
    {
        var galleryA = NewGallery(out _);
        var galleryB = NewGallery(out _);
        await galleryA.CreateSubject("ann", null, null);
        await galleryA.Enroll("ann", new EnrollRequest(TestPaths.Photo("img10.jpg")));

        var fromB = await galleryB.Identify(new IdentifyRequest(TestPaths.Photo("img2.jpg")));

        Assert.Empty(fromB.Faces[0].Candidates);
        Assert.Null(fromB.Faces[0].Match);
        Assert.Equal(0, (await galleryB.ListSubjects(1, 10)).Total);
        await Rejections.ThrowsAsync(RejectionCode.UnknownSubject, () => galleryB.Verify("ann", new IdentifyRequest(TestPaths.Photo("img2.jpg"))));
        Assert.Equal("ann", (await galleryA.Identify(new IdentifyRequest(TestPaths.Photo("img2.jpg")))).Faces[0].Match);
    }

    [Fact]
    public async Task Enrollment_refuses_photos_without_exactly_one_face_unless_asked_for_the_largest()
    {
        var gallery = NewGallery(out _);
        await gallery.CreateSubject("pair", null, null);

        var several = await Assert.ThrowsAsync<RequestRejectedException>(() => gallery.Enroll("pair", new EnrollRequest(TestPaths.Photo("couple.jpg"))));
        using var wall = new OpenCvSharp.Mat(200, 200, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(60));
        var none = await Assert.ThrowsAsync<RequestRejectedException>(() => gallery.Enroll("pair", new EnrollRequest(wall.ImEncode(".png"))));
        var largest = await gallery.Enroll("pair", new EnrollRequest(TestPaths.Photo("couple.jpg"), UseLargestFace: true));

        Assert.Equal(RejectionCode.SeveralFaces, several.Code);
        Assert.Equal(RejectionCode.NoFace, none.Code);
        Assert.Equal(1, (await gallery.ListSubjects(1, 1)).Items[0].FaceCount);
        Assert.NotEmpty(largest.FaceId);
    }

    [Fact]
    public async Task Enrollment_photos_are_kept_only_when_the_tenant_turns_that_on_and_go_with_their_face()
    {
        var gallery = NewGallery(out var tenant);
        await gallery.CreateSubject("ann", null, null);
        var withoutPhoto = await gallery.Enroll("ann", new EnrollRequest(TestPaths.Photo("img10.jpg")));
        await fixture.Client.GetGrain<ITenantGrain>(tenant).Configure(new TenantSettings(StoreEnrollmentPhotos: true));
        var photo = TestPaths.Photo("img11.jpg");
        var withPhoto = await gallery.Enroll("ann", new EnrollRequest(photo));

        Assert.Null(await gallery.GetFacePhoto("ann", withoutPhoto.FaceId));
        Assert.Equal(photo, await gallery.GetFacePhoto("ann", withPhoto.FaceId));
        Assert.Null(await gallery.GetFacePhoto("someone-else", withPhoto.FaceId));

        await gallery.DeleteFace("ann", withPhoto.FaceId);
        Assert.Null(await gallery.GetFacePhoto("ann", withPhoto.FaceId));
    }

    [Fact]
    public async Task Verify_decides_against_the_subjects_own_faces()
    {
        var gallery = NewGallery(out _);
        await gallery.CreateSubject("ann", null, null);
        var face = await gallery.Enroll("ann", new EnrollRequest(TestPaths.Photo("img10.jpg")));

        var same = await gallery.Verify("ann", new IdentifyRequest(TestPaths.Photo("img2.jpg")));
        var other = await gallery.Verify("ann", new IdentifyRequest(TestPaths.Photo("img12.jpg")));
        await gallery.DeleteFace("ann", face.FaceId);

        Assert.True(same.IsMatch);
        Assert.Equal(face.FaceId, same.BestFaceId);
        Assert.False(other.IsMatch);
        await Rejections.ThrowsAsync(RejectionCode.NoEnrolledFace, () => gallery.Verify("ann", new IdentifyRequest(TestPaths.Photo("img2.jpg"))));
        await Rejections.ThrowsAsync(RejectionCode.UnknownSubject, () => gallery.DeleteFace("ann", face.FaceId));
    }

    [Fact]
    public async Task A_gallery_reshards_while_it_is_searched_and_enrolled_into_and_every_answer_stays_exact()
    {
        var gallery = NewGallery(out var tenant);
        var store = fixture.GalleryStore;
        var random = new Random(29);
        var seeded = Enumerable.Range(0, 2000).Select(i => new Grains.Gallery.StoredFace($"f{i}", $"s{i % 700}", GalleryIndexTests.UnitVector(random, 512), ShippedModels.DefaultIdentity)).ToArray();
        await Task.WhenAll(Enumerable.Range(0, 700).Select(i => store.CreateSubjectAsync(tenant, new SubjectInfo($"s{i}", null, null, DateTimeOffset.UtcNow, 0))));
        foreach (var shard in seeded.GroupBy(f => Grains.Gallery.GalleryOptions.ShardOf(f.FaceId, 8)))
        {
            await ((Grains.Gallery.SqliteGalleryStore)store).ImportFacesAsync(tenant, shard.Key, shard.ToArray());
        }

        await gallery.CreateSubject("ann", null, null);
        await gallery.CreateSubject("ben", null, null);
        await gallery.Enroll("ann", new EnrollRequest(TestPaths.Photo("img10.jpg")));
        var exact = new Grains.Gallery.ExactGalleryIndex(512);
        await AddStoredFacesAsync(exact, store, tenant, Enumerable.Range(0, 8));
        var queries = Enumerable.Range(0, 12).Select(q => q % 2 == 0 ? GalleryIndexTests.UnitVector(random, 512) : GalleryIndexTests.NearDuplicate(random, seeded[q * 97].Embedding, 0.2)).ToArray();

        var started = await gallery.Reshard(3);
        Assert.Equal((8, 3), (started.Shards, started.ReshardingTo));
        await Rejections.ThrowsAsync(RejectionCode.ReshardInProgress, () => gallery.Reshard(5));
        var checks = 0;
        GalleryStatus status;
        do
        {
            // Mid-way: every shard of both layouts, searched and merged as the gallery does, equals the exact answer.
            await AssertShardsAnswerExactlyAsync(exact, tenant, Enumerable.Range(0, 11), queries);
            if (checks++ == 1)
            {
                var ben = await gallery.Enroll("ben", new EnrollRequest(TestPaths.Photo("img12.jpg")));
                await AddStoredFacesAsync(exact, store, tenant, [8 + Grains.Gallery.GalleryOptions.ShardOf(ben.FaceId, 3)], ben.FaceId);
            }

            status = await gallery.GetStatus();
        }
        while (status.ReshardingTo is not null);

        Assert.True(checks >= 3, $"the re-shard finished after {checks} checks; too fast to have been observed under way");
        Assert.Equal((3, 2002L, 0L), (status.Shards, status.Faces, status.FacesToMove));
        await AssertShardsAnswerExactlyAsync(exact, tenant, Enumerable.Range(8, 3), queries);
        Assert.Equal("ann", (await gallery.Identify(new IdentifyRequest(TestPaths.Photo("img2.jpg")))).Faces[0].Match);
        await Rejections.ThrowsAsync(RejectionCode.InvalidParameter, () => gallery.Reshard(0));
        Assert.Equal(3, (await gallery.Reshard(3)).Shards);
    }

    private static async Task AddStoredFacesAsync(Grains.Gallery.ExactGalleryIndex exact, Grains.Gallery.IGalleryStore store, string tenant, IEnumerable<int> shards, string? only = null)
    {
        foreach (var shard in shards)
        {
            await foreach (var face in store.LoadShardAsync(tenant, shard))
            {
                if (only is null || face.FaceId == only)
                {
                    exact.Add(face.FaceId, face.SubjectId, face.Embedding);
                }
            }
        }
    }

    private async Task AssertShardsAnswerExactlyAsync(Grains.Gallery.ExactGalleryIndex exact, string tenant, IEnumerable<int> shards, float[][] queries)
    {
        var perShard = await Task.WhenAll(shards.Select(s => fixture.Client.GetGrain<IGalleryShardGrain>($"{tenant}/{s}").Search(queries, ShippedModels.DefaultIdentity, 5, null)));
        for (var q = 0; q < queries.Length; q++)
        {
            Assert.Equal(exact.Search(queries[q], 5), Grains.Gallery.SubjectRanking.Merge(perShard.SelectMany(r => r[q]), 5));
        }
    }

    [Fact]
    public async Task Searches_and_changes_sent_to_one_shard_at_once_all_complete_and_leave_it_exact()
    {
        var tenant = "shard-" + Guid.NewGuid().ToString("N")[..8];
        var store = (Grains.Gallery.SqliteGalleryStore)fixture.GalleryStore;
        var random = new Random(31);
        await store.CreateSubjectAsync(tenant, new SubjectInfo("p", null, null, DateTimeOffset.UtcNow, 0));
        await store.ImportFacesAsync(tenant, 0, Enumerable.Range(0, 3000).Select(i => new Grains.Gallery.StoredFace($"f{i}", "p", GalleryIndexTests.UnitVector(random, 512), ShippedModels.DefaultIdentity)).ToArray());
        var shard = fixture.Client.GetGrain<IGalleryShardGrain>($"{tenant}/0");
        var query = GalleryIndexTests.UnitVector(random, 512);

        // Interleaved: a change arriving behind searches must neither corrupt a scan nor wait for all of them.
        var calls = Enumerable.Range(0, 60).Select(i => i % 3 == 0
            ? (Task)shard.Add($"new{i}", "p", GalleryIndexTests.UnitVector(random, 512), ShippedModels.DefaultIdentity, null)
            : shard.Search([query], ShippedModels.DefaultIdentity, 5, null)).ToArray();
        await Task.WhenAll(calls);

        Assert.All(calls.OfType<Task<bool>>(), added => Assert.True(added.Result));
        Assert.Equal(3020, await shard.Count());
        var exact = new Grains.Gallery.ExactGalleryIndex(512);
        await AddStoredFacesAsync(exact, store, tenant, [0]);
        Assert.Equal(exact.Search(query, 1), (await shard.Search([query], ShippedModels.DefaultIdentity, 1, null))[0]);
    }
}
