using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using FaceOrleans.Vision;
using OpenCvSharp;

namespace FaceOrleans.Benchmarks;

/// <summary>
/// RetinaFace on the CPU: letterbox + pack, one ONNX Runtime call for the whole batch, prior decoding
/// and NMS. Inputs are real photos decoded and resized to the model's 640x640 input in setup, so the
/// measurement holds no JPEG decoding and no downscaling.
/// </summary>
[MemoryDiagnoser]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = BenchmarkPaths.CleanupJustification)]
public class DetectionBenchmarks
{
    /// <summary>Photos used for the batch, in order; batch 1 uses the first.</summary>
    private static readonly string[] Photos =
        ["img1.jpg", "img2.jpg", "img3.jpg", "img4.jpg", "img5.jpg", "img6.jpg", "img7.jpg", "img8.jpg"];

    private OnnxSessionFactory _sessions = null!;
    private RetinaFaceDetector _detector = null!;
    private Mat[] _images = [];

    /// <summary>Images per Detect call (one model invocation).</summary>
    [Params(1, 8)]
    public int BatchSize { get; set; }

    /// <summary>The manifest's default detector as published, or its int8 derivation (docs/int8.md).</summary>
    [Params(ModelPrecision.Fp32, ModelPrecision.Int8)]
    public ModelPrecision Precision { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (BatchSize > Photos.Length)
        {
            throw new InvalidOperationException($"At most {Photos.Length} photos are configured.");
        }

        _sessions = new OnnxSessionFactory(ModelCatalog.Open(BenchmarkPaths.ModelsDirectory), new InferenceOptions { Device = "cpu" });
        var catalog = _sessions.Catalog;
        _detector = new RetinaFaceDetector(
            _sessions.CreateSession(catalog.Manifest.At(catalog.Manifest.Defaults.Detector, Precision)), maxBatchSize: BatchSize);

        var spec = catalog.Get(catalog.Manifest.Defaults.Detector).Input;
        _images = new Mat[BatchSize];
        for (var i = 0; i < BatchSize; i++)
        {
            using var decoded = ImageDecoder.Decode(BenchmarkPaths.ReadPhoto(Photos[i]), ImageLimits.Default);
            var resized = new Mat();
            Cv2.Resize(decoded.Bgr, resized, new Size(spec.Width, spec.Height), 0, 0, InterpolationFlags.Area);
            _images[i] = resized;
        }

        // Sanity check and warm-up: every photo must yield a face, or the numbers measure an empty decode.
        var faces = _detector.Detect(_images, _detector.DefaultScoreThreshold);
        for (var i = 0; i < faces.Count; i++)
        {
            if (faces[i].Count == 0)
            {
                throw new InvalidOperationException($"No face detected in {Photos[i]} at {spec.Width}x{spec.Height}.");
            }
        }
    }

    [Benchmark]
    public IReadOnlyList<IReadOnlyList<DetectedFace>> Detect() => _detector.Detect(_images, _detector.DefaultScoreThreshold);

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var image in _images)
        {
            image.Dispose();
        }

        _images = [];
        _detector.Dispose();
        _sessions.Dispose();
    }
}
