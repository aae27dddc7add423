using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>
/// Turns aligned face crops into L2-normalised embeddings. Input name, size, channel order,
/// normalisation and embedding size all come from the manifest, so CurricularFace, face_embed_512d
/// and mobilefacenet_128d run through this one class. Owns its session; thread-safe.
/// </summary>
public sealed class FaceRecognizer : IBatchModel<PreparedInput, float[]>, IDisposable
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

    /// <summary>The recognizer's manifest entry, which identifies what its embeddings mean (name, checksum, dimension).</summary>
    public ModelSpec Spec => _model.Model;

    public int EmbeddingSize => _spec.EmbeddingSize;

    /// <summary>The cosine similarity at or above which two faces are the same person, for this model.</summary>
    public float DefaultThreshold => _spec.Threshold;

    /// <summary>The threshold a 1:N search matches at, for this model: stricter, since a stranger meets every enrolled subject.</summary>
    public float DefaultIdentificationThreshold => _spec.IdentificationThreshold ?? _spec.Threshold;

    public int InputWidth => _input.Width;

    public int InputHeight => _input.Height;

    public int MaxBatchSize => _maxBatch;

    /// <summary>
    /// Embeds aligned BGR crops of the model's input size on the calling thread; one unit-length vector per crop.
    /// A slice runs the same steps with only the model call in its scheduler: <see cref="Prepare"/>, <see cref="RunBatch"/>.
    /// </summary>
    public float[][] Embed(IReadOnlyList<Mat> alignedFaces)
    {
        var inputs = new PreparedInput[alignedFaces.Count];
        try
        {
            for (var i = 0; i < alignedFaces.Count; i++)
            {
                inputs[i] = Prepare(alignedFaces[i]);
            }

            return BatchRuns.RunGrouped(this, inputs);
        }
        finally
        {
            Disposables.DisposeAll(inputs);
        }
    }

    /// <summary>Packs one aligned crop as the network's input (normalisation and channel order from the manifest).</summary>
    public PreparedInput Prepare(Mat alignedFace)
    {
        if (alignedFace.Width != _input.Width || alignedFace.Height != _input.Height)
        {
            throw new ArgumentException(
                $"'{ModelName}' needs {_input.Width}x{_input.Height} crops; got {alignedFace.Width}x{alignedFace.Height}.", nameof(alignedFace));
        }

        var tensor = new PooledInputTensor(1, _input);
        try
        {
            TensorPacking.Pack(alignedFace, _input, tensor, 0);
            return new PreparedInput(tensor);
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    public InputShape ShapeOf(PreparedInput input) => input.Shape;

    /// <summary>The model call alone: one ONNX Runtime run over prepared crops, each embedding L2-normalised.</summary>
    public float[][] RunBatch(IReadOnlyList<PreparedInput> inputs)
    {
        using var stacked = PreparedInput.Stack(inputs);
        using var outputs = _model.Run(stacked.Value, [_model.Model.Output("embedding")]);
        var output = outputs[0].GetTensorDataAsSpan<float>();
        if (output.Length != inputs.Count * _spec.EmbeddingSize)
        {
            throw new ModelUnavailableException(ModelName,
                $"'{ModelName}' returned {output.Length / inputs.Count} values per face; the manifest says {_spec.EmbeddingSize}.");
        }

        var results = new float[inputs.Count][];
        for (var i = 0; i < inputs.Count; i++)
        {
            var embedding = output.Slice(i * _spec.EmbeddingSize, _spec.EmbeddingSize).ToArray();
            Normalize(embedding);
            results[i] = embedding;
        }

        return results;
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
