using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>
/// Turns aligned face crops into L2-normalised embeddings. Input name, size, channel order,
/// normalisation and embedding size all come from the manifest, so CurricularFace, face_embed_512d
/// and mobilefacenet_128d run through this one class. Owns its session; thread-safe.
/// </summary>
public sealed class FaceRecognizer : IDisposable
{
    private readonly ModelSession _model;
    private readonly ModelInputSpec _input;
    private readonly RecognizerSpec _spec;
    private readonly int _maxBatch;

    /// <param name="model">The recognizer's session; the recognizer takes ownership and disposes it.</param>
    /// <param name="maxBatchSize">Most faces per model call; more are split into several calls.</param>
    public FaceRecognizer(ModelSession model, int maxBatchSize)
    {
        _model = model;
        _input = model.Model.Input;
        _spec = model.Model.Recognizer
            ?? throw new ModelUnavailableException(model.Model.Name, $"'{model.Model.Name}' is not a recognizer.");
        _maxBatch = Math.Max(1, maxBatchSize);
    }

    public string ModelName => _model.Model.Name;

    public int EmbeddingSize => _spec.EmbeddingSize;

    /// <summary>The cosine similarity at or above which two faces are the same person, for this model.</summary>
    public float DefaultThreshold => _spec.Threshold;

    /// <summary>The threshold a 1:N search matches at, for this model: stricter, since a stranger meets every enrolled subject.</summary>
    public float DefaultIdentificationThreshold => _spec.IdentificationThreshold ?? _spec.Threshold;

    public int InputWidth => _input.Width;

    public int InputHeight => _input.Height;

    /// <summary>Embeds aligned BGR crops of the model's input size; one unit-length vector per crop.</summary>
    public float[][] Embed(IReadOnlyList<Mat> alignedFaces)
    {
        var results = new float[alignedFaces.Count][];
        for (var start = 0; start < alignedFaces.Count; start += _maxBatch)
        {
            var count = Math.Min(_maxBatch, alignedFaces.Count - start);
            EmbedBatch(alignedFaces, start, count, results);
        }

        return results;
    }

    private void EmbedBatch(IReadOnlyList<Mat> faces, int start, int count, float[][] results)
    {
        using var tensor = new PooledInputTensor(count, _input);
        for (var i = 0; i < count; i++)
        {
            var face = faces[start + i];
            if (face.Width != _input.Width || face.Height != _input.Height)
            {
                throw new ArgumentException(
                    $"'{ModelName}' needs {_input.Width}x{_input.Height} crops; got {face.Width}x{face.Height}.", nameof(faces));
            }

            TensorPacking.Pack(face, _input, tensor, i);
        }

        using var input = tensor.ToOrtValue();
        using var outputs = _model.Run(input, [_model.Model.Output("embedding")]);
        var output = outputs[0].GetTensorDataAsSpan<float>();
        if (output.Length != count * _spec.EmbeddingSize)
        {
            throw new ModelUnavailableException(ModelName,
                $"'{ModelName}' returned {output.Length / count} values per face; the manifest says {_spec.EmbeddingSize}.");
        }

        for (var i = 0; i < count; i++)
        {
            var embedding = output.Slice(i * _spec.EmbeddingSize, _spec.EmbeddingSize).ToArray();
            Normalize(embedding);
            results[start + i] = embedding;
        }
    }

    public static void Normalize(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    /// <summary>Cosine similarity of two unit vectors.</summary>
    public static float Similarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);

    public void Dispose() => _model.Dispose();
}
