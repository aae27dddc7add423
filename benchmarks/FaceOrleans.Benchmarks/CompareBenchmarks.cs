using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using FaceOrleans.Vision;

namespace FaceOrleans.Benchmarks;

/// <summary>
/// A whole 1:1 comparison as the Compare endpoint runs it: decode two JPEGs (img1.jpg, 2.3 MB,
/// and img2.jpg, 0.35 MB, the same person), detect both in one batch, align and embed the most
/// prominent face of each in one batch, cosine similarity. Default models.
/// </summary>
[MemoryDiagnoser]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = BenchmarkPaths.CleanupJustification)]
public class CompareBenchmarks
{
    private OnnxSessionFactory _sessions = null!;
    private FacePipeline _pipeline = null!;
    private byte[] _image1 = [];
    private byte[] _image2 = [];

    [GlobalSetup]
    public void Setup()
    {
        _sessions = new OnnxSessionFactory(ModelCatalog.Open(BenchmarkPaths.ModelsDirectory), new InferenceOptions { Device = "cpu" });
        _pipeline = FacePipeline.Create(_sessions);
        _image1 = BenchmarkPaths.ReadPhoto("img1.jpg");
        _image2 = BenchmarkPaths.ReadPhoto("img2.jpg");

        var result = _pipeline.CompareAsync(_image1, _image2, _pipeline.ModelDefaults).GetAwaiter().GetResult();
        if (result.Similarity is null)
        {
            throw new InvalidOperationException($"Compare found no face: {result.Message}");
        }
    }

    [Benchmark]
    public Task<FaceComparison> Compare() => _pipeline.CompareAsync(_image1, _image2, _pipeline.ModelDefaults);

    [GlobalCleanup]
    public void Cleanup() => _sessions.Dispose();
}
