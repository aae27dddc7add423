using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using FaceOrleans.Vision;
using OpenCvSharp;

namespace FaceOrleans.Benchmarks;

/// <summary>
/// The recognizer on the CPU: pack aligned 112x112 crops, one ONNX Runtime call for the batch,
/// L2-normalise. The crop is a real face: img1.jpg detected by RetinaFace and aligned by
/// <see cref="FaceAligner.Align"/> in setup; a batch holds that crop BatchSize times.
/// </summary>
[MemoryDiagnoser]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = BenchmarkPaths.CleanupJustification)]
public class EmbeddingBenchmarks
{
    private const string Photo = "img1.jpg";

    private OnnxSessionFactory _sessions = null!;
    private FaceRecognizer _recognizer = null!;
    private Mat _crop = null!;
    private Mat[] _batch = [];

    [Params("face_embed_512d", "face_embed_512d_int8", "mobilefacenet_128d")]
    public string Recognizer { get; set; } = "face_embed_512d";

    /// <summary>Faces per Embed call (one model invocation).</summary>
    [Params(1, 32)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sessions = new OnnxSessionFactory(ModelCatalog.Open(BenchmarkPaths.ModelsDirectory), new InferenceOptions { Device = "cpu" });
        _recognizer = new FaceRecognizer(_sessions.CreateSession(Recognizer), maxBatchSize: BatchSize);
        var detector = _sessions.Detector(_sessions.Catalog.Manifest.Defaults.Detector);

        using var decoded = ImageDecoder.Decode(BenchmarkPaths.ReadPhoto(Photo), ImageLimits.Default);
        var face = DetectedFace.MostProminent(detector.Detect([decoded.Bgr], detector.DefaultScoreThreshold)[0])
            ?? throw new InvalidOperationException($"No face detected in {Photo}.");
        _crop = FaceAligner.Align(decoded.Bgr, face.Landmarks, _recognizer.InputWidth, _recognizer.InputHeight);
        _batch = Enumerable.Repeat(_crop, BatchSize).ToArray();

        // Warm-up and sanity check: unit-length embeddings of the configured size.
        var embeddings = _recognizer.Embed(_batch);
        if (embeddings.Length != BatchSize || embeddings[0].Length != _recognizer.EmbeddingSize)
        {
            throw new InvalidOperationException($"'{Recognizer}' returned an unexpected embedding shape.");
        }
    }

    [Benchmark]
    public float[][] Embed() => _recognizer.Embed(_batch);

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch = [];
        _crop.Dispose();
        _recognizer.Dispose();
        _sessions.Dispose();
    }
}
