using FaceOrleans.Vision;

namespace FaceOrleans.GalleryBenchmark;

/// <summary>Synthetic L2-normalised embeddings: Gaussian components, so directions are uniform on the sphere.</summary>
internal static class Synthetic
{
    public static float[] UnitVector(Random random, int dimension)
    {
        var vector = new float[dimension];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)Gaussian(random);
        }

        FaceRecognizer.Normalize(vector);
        return vector;
    }

    /// <summary><paramref name="vector"/> plus Gaussian noise of about the given norm, normalised again.</summary>
    public static float[] NearDuplicate(Random random, float[] vector, double noise)
    {
        var scale = noise / Math.Sqrt(vector.Length);
        var copy = vector.Select(v => (float)(v + (scale * Gaussian(random)))).ToArray();
        FaceRecognizer.Normalize(copy);
        return copy;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
