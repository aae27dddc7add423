using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FaceOrleans.Contracts;
using FaceOrleans.Grains.Gallery;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Gallery;

/// <summary>The compact index against the exact float32 search it must equal, on data built to make that hard.</summary>
public sealed class GalleryIndexTests
{
    internal static float[] UnitVector(Random random, int dimension = 64)
    {
        var vector = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            vector[i] = (float)(random.NextDouble() * 2 - 1);
        }

        FaceRecognizer.Normalize(vector);
        return vector;
    }

    /// <summary><paramref name="vector"/> plus Gaussian noise of the given norm, normalised: a near-duplicate.</summary>
    internal static float[] NearDuplicate(Random random, float[] vector, double noise)
    {
        var copy = vector.Select(v => (float)(v + (noise / Math.Sqrt(vector.Length) * Gaussian(random)))).ToArray();
        FaceRecognizer.Normalize(copy);
        return copy;
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>Asserts the compact index answers every query exactly as the float32 brute force: subjects, faces and scores, bit for bit.</summary>
    private static async Task AssertSameAsExactAsync(IReadOnlyList<(string Face, string Subject, float[] Vector)> faces, float[][] queries, int topK)
    {
        using var index = new GalleryIndex();
        var exact = new ExactGalleryIndex(faces[0].Vector.Length);
        foreach (var (face, subject, vector) in faces)
        {
            index.Add(face, subject, vector);
            exact.Add(face, subject, vector);
        }

        var found = await index.SearchAsync(queries, topK);
        for (var q = 0; q < queries.Length; q++)
        {
            var expected = exact.Search(queries[q], topK);
            Assert.Equal(expected.Select(c => (c.SubjectId, c.FaceId, c.Similarity)), found[q].Select(c => (c.SubjectId, c.FaceId, c.Similarity)));
        }
    }

    [Theory]
    [InlineData(64, 1)]
    [InlineData(512, 5)]
    [InlineData(37, 10)]
    public async Task Search_equals_the_exact_float32_top_k_by_subject_on_random_faces(int dimension, int topK)
    {
        var random = new Random(dimension);
        var faces = Enumerable.Range(0, 9000).Select(i => ($"f{i}", $"s{i % 2500}", UnitVector(random, dimension))).ToArray();
        var queries = Enumerable.Range(0, 40).Select(_ => UnitVector(random, dimension)).ToArray();

        await AssertSameAsExactAsync(faces, queries, topK);
    }

    [Fact]
    public async Task Search_equals_exact_among_hundreds_of_near_duplicates_closer_than_the_int8_error()
    {
        // 300 copies of each of 8 faces, each copy its own subject, noise far below the int8 step: the top of
        // every answer is a crowd of subjects whose scores differ by less than the approximation's error.
        var random = new Random(7);
        var originals = Enumerable.Range(0, 8).Select(_ => UnitVector(random, 512)).ToArray();
        var faces = Enumerable.Range(0, 2400).Select(i => ($"f{i}", $"s{i}", NearDuplicate(random, originals[i % 8], noise: 0.002 + (0.05 * (i % 5))))).ToArray();
        var queries = originals.Select(o => NearDuplicate(random, o, 0.01)).Concat(originals).ToArray();

        await AssertSameAsExactAsync(faces, queries, topK: 10);
    }

    [Fact]
    public async Task Exact_ties_between_subjects_go_to_the_smaller_subject_id_and_between_faces_to_the_smaller_face_id()
    {
        var random = new Random(3);
        var shared = UnitVector(random, 128);
        var faces = new List<(string, string, float[])>
        {
            ("f9", "zed", shared), ("f2", "amy", shared), ("f1", "amy", shared), ("f5", "bob", shared),
        };
        faces.AddRange(Enumerable.Range(0, 500).Select(i => ($"g{i}", $"other{i}", UnitVector(random, 128))));

        await AssertSameAsExactAsync(faces, [shared], topK: 3);
        using var index = new GalleryIndex();
        foreach (var (face, subject, vector) in faces)
        {
            index.Add(face, subject, vector);
        }

        Assert.Equal([("amy", "f1"), ("bob", "f5"), ("zed", "f9")], index.Search(shared, 3).Select(c => (c.SubjectId, c.FaceId)));
    }

    [Fact]
    public void The_approximate_score_is_always_within_its_slack_of_the_exact_score()
    {
        var random = new Random(17);
        var dimension = 512;
        var codes = new sbyte[dimension];
        var violations = 0;
        for (var t = 0; t < 3000; t++)
        {
            // Unit vectors, one-hot spikes and unnormalised vectors: the bound must not care.
            var face = (t % 3) switch
            {
                0 => UnitVector(random, dimension),
                1 => Enumerable.Range(0, dimension).Select(j => j == t % dimension ? 1f : (float)(random.NextDouble() * 1e-3)).ToArray(),
                _ => UnitVector(random, dimension).Select(v => v * 37.5f).ToArray(),
            };
            var query = new QuantizedQuery(t % 2 == 0 ? UnitVector(random, dimension) : NearDuplicate(random, face.Select(v => v / 37.5f).ToArray(), 0.01));
            var (scale, error, norm) = Int8Codec.Encode(face, codes);
            var approximate = query.Approximate(ref codes[0], scale);
            var slack = query.Slack(error, norm);
            var exact = TensorPrimitives.Dot(query.Vector, face);
            violations += exact < approximate - slack || exact > approximate + slack ? 1 : 0;
            Assert.True(slack < 0.05f * Math.Max(1, norm), $"slack {slack} is too loose to be useful");
        }

        Assert.Equal(0, violations);
    }

    [Fact]
    public void Exact_scores_do_not_depend_on_where_the_vectors_sit_in_memory()
    {
        // The re-rank scores a vector read into a buffer, the reference one inside a big array: the premise of
        // comparing scores bit for bit is that TensorPrimitives.Dot sums in an order independent of alignment.
        var random = new Random(5);
        var a = UnitVector(random, 512);
        var b = UnitVector(random, 512);
        var reference = TensorPrimitives.Dot(a, b);
        for (var offset = 1; offset < 32; offset++)
        {
            var x = new float[600];
            var y = new float[600];
            a.CopyTo(x, offset);
            b.CopyTo(y, (offset * 7) % 32);
            Assert.Equal(reference, TensorPrimitives.Dot(x.AsSpan(offset, 512), y.AsSpan((offset * 7) % 32, 512)));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(33)]
    [InlineData(512)]
    [InlineData(515)]
    public void Every_int8_kernel_returns_the_scalar_sum_even_at_the_extremes(int length)
    {
        var random = new Random(length);
        var max = QuantizedQuery.MaxCode(length);
        foreach (var extreme in new[] { false, true })
        {
            var codes = Enumerable.Range(0, length).Select(_ => extreme ? (sbyte)-127 : (sbyte)random.Next(-127, 128)).ToArray();
            var query = Enumerable.Range(0, length).Select(_ => extreme ? (short)-max : (short)random.Next(-max, max + 1)).ToArray();
            var expected = codes.Zip(query, (c, q) => (long)c * q).Sum();

            Assert.Equal(expected, Int8Kernels.DotScalar(codes, query));
            Assert.Equal(expected, Int8Kernels.Dot(codes, query));
            if (Vector128.IsHardwareAccelerated)
            {
                Assert.Equal(expected, Int8Kernels.DotVector128(codes, query));
            }

            if (Avx2.IsSupported)
            {
                Assert.Equal(expected, Int8Kernels.DotAvx2(codes, query));
            }

            if (Avx512BW.IsSupported)
            {
                Assert.Equal(expected, Int8Kernels.DotAvx512(codes, query));
            }
        }
    }

    [Fact]
    public void Removing_faces_and_subjects_keeps_every_other_face_findable()
    {
        var random = new Random(5);
        using var index = new GalleryIndex();
        var vectors = Enumerable.Range(0, 50).Select(_ => UnitVector(random)).ToArray();
        for (var i = 0; i < vectors.Length; i++)
        {
            index.Add($"f{i}", $"s{i % 10}", vectors[i]);
        }

        Assert.True(index.Remove("f3"));
        Assert.False(index.Remove("f3"));
        Assert.Equal(5, index.RemoveSubject("s7"));

        Assert.Equal(44, index.Count);
        for (var i = 0; i < vectors.Length; i++)
        {
            var top = index.Search(vectors[i], 1, $"s{i % 10}");
            if (i == 3 || i % 10 == 7)
            {
                Assert.True(top.Count == 0 || top[0].FaceId != $"f{i}");
            }
            else
            {
                Assert.Equal($"f{i}", Assert.Single(top).FaceId);
                Assert.Equal(1f, top[0].Similarity, 4);
                Assert.Equal($"s{i % 10}", index.Search(vectors[i], 1)[0].SubjectId);
            }
        }
    }

    [Fact]
    public async Task Adds_and_removes_across_many_blocks_keep_search_exact_and_reuse_vector_slots()
    {
        var random = new Random(23);
        var live = new Dictionary<string, (string Subject, float[] Vector)>();
        using var index = new GalleryIndex();
        for (var i = 0; i < 12_000; i++)
        {
            var vector = UnitVector(random, 32);
            index.Add($"f{i}", $"s{i % 3000}", vector);
            live[$"f{i}"] = ($"s{i % 3000}", vector);
            if (i % 3 == 0)
            {
                var victim = $"f{random.Next(i + 1)}";
                Assert.Equal(live.Remove(victim), index.Remove(victim));
            }
        }

        Assert.Equal(live.Count, index.Count);
        Assert.True(new FileInfo(index.Vectors!.Path).Length <= 12_000L * 32 * sizeof(float));
        var queries = Enumerable.Range(0, 10).Select(_ => UnitVector(random, 32)).ToArray();
        var exact = new ExactGalleryIndex(32);
        foreach (var (face, (subject, vector)) in live)
        {
            exact.Add(face, subject, vector);
        }

        var found = await index.SearchAsync(queries, 5);
        for (var q = 0; q < queries.Length; q++)
        {
            Assert.Equal(exact.Search(queries[q], 5), found[q]);
        }
    }

    [Fact]
    public async Task The_index_refuses_to_change_while_a_search_is_scanning()
    {
        var random = new Random(2);
        using var index = new GalleryIndex();
        for (var i = 0; i < 5000; i++)
        {
            index.Add($"f{i}", $"s{i}", UnitVector(random, 256));
        }

        // Held at its start, so the search is certainly in flight when the changes are tried, however fast the scan.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        index.ScanStarting = () => release.Task;
        var search = index.SearchAsync([UnitVector(random, 256)], 5);
        Assert.Throws<InvalidOperationException>(() => index.Add("late", "s", UnitVector(random, 256)));
        Assert.Throws<InvalidOperationException>(() => index.Remove("f1"));
        Assert.False(search.IsCompleted);
        release.SetResult();
        Assert.Equal(5, (await search)[0].Count);
        Assert.True(index.Add("late", "s", UnitVector(random, 256)));
    }

    [Fact]
    public void Bad_input_is_refused_and_leaves_the_index_as_it_was()
    {
        using var index = new GalleryIndex();
        index.Add("f", "s", UnitVector(new Random(1), 512));

        Assert.Throws<ArgumentException>(() => index.Search(UnitVector(new Random(2), 128), 1));
        Assert.Throws<ArgumentException>(() => index.Add("g", "s", UnitVector(new Random(3), 128)));
        Assert.Throws<ArgumentException>(() => index.Add("h", "s", Enumerable.Repeat(float.NaN, 512).ToArray()));
        Assert.False(index.Add("f", "s", UnitVector(new Random(4), 512)));
        Assert.Equal(1, index.Count);
        Assert.Equal(["f"], index.FaceIds);
    }
}
