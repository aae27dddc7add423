using FaceOrleans.Grains.Gallery;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Gallery;

public sealed class GalleryIndexTests
{
    private static float[] UnitVector(Random random, int dimension = 64)
    {
        var vector = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            vector[i] = (float)(random.NextDouble() * 2 - 1);
        }

        FaceRecognizer.Normalize(vector);
        return vector;
    }

    [Fact]
    public void Search_returns_the_exact_top_k_subjects_by_their_best_face()
    {
        var random = new Random(11);
        var index = new GalleryIndex();
        var faces = Enumerable.Range(0, 2000).Select(i => (Face: $"f{i}", Subject: $"s{i % 300}", Vector: UnitVector(random))).ToArray();
        foreach (var (face, subject, vector) in faces)
        {
            index.Add(face, subject, vector);
        }

        var query = UnitVector(random);
        var expected = faces
            .Select(f => (f.Subject, f.Face, Score: f.Vector.Zip(query, (a, b) => a * b).Sum()))
            .GroupBy(f => f.Subject)
            .Select(g => g.MaxBy(f => f.Score))
            .OrderByDescending(f => f.Score)
            .Take(10)
            .ToArray();

        var found = index.Search(query, 10);

        Assert.Equal(expected.Select(e => e.Subject), found.Select(c => c.SubjectId));
        Assert.Equal(expected.Select(e => e.Face), found.Select(c => c.FaceId));
        Assert.All(found.Zip(expected), p => Assert.Equal(p.Second.Score, p.First.Similarity, 4));
    }

    [Fact]
    public void Removing_faces_and_subjects_keeps_every_other_face_findable()
    {
        var random = new Random(5);
        var index = new GalleryIndex();
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
            }
        }
    }

    [Fact]
    public void A_query_of_the_wrong_dimension_is_refused()
    {
        var index = new GalleryIndex();
        index.Add("f", "s", UnitVector(new Random(1), 512));

        Assert.Throws<ArgumentException>(() => index.Search(UnitVector(new Random(2), 128), 1));
        Assert.Throws<ArgumentException>(() => index.Add("g", "s", UnitVector(new Random(3), 128)));
    }
}
