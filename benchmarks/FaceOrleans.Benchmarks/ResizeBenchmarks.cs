using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using FaceOrleans.Vision;
using OpenCvSharp;

namespace FaceOrleans.Benchmarks;

/// <summary>
/// The detector's downscale of every shared photo, as a compare decodes it, to the fast detection side (480 px):
/// OpenCV's area resize against <see cref="AreaResize"/>, which gives the same bytes (AreaResizeTests).
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = BenchmarkPaths.CleanupJustification)]
public class ResizeBenchmarks
{
    private const int LongSide = 480;

    private (Mat Image, Size Size)[] _work = [];
    private Mat _target = null!;

    [GlobalSetup]
    public void Setup()
    {
        // One thread: what a resize costs in CPU, as under load, not how fast two cores finish one.
        Cv2.SetNumThreads(1);
        _target = new Mat();
        _work = Directory.GetFiles(BenchmarkPaths.FacesDirectory, "*.jpg").Order()
            .Select(file => ImageDecoder.Decode(File.ReadAllBytes(file), ImageLimits.Default))
            .Select(decoded =>
            {
                var image = decoded.Bgr.Clone();
                decoded.Dispose();
                var scale = Math.Min((double)LongSide / image.Width, (double)LongSide / image.Height);
                return (Image: image, Size: new Size((int)Math.Round(image.Width * scale), (int)Math.Round(image.Height * scale)));
            })
            .Where(work => work.Size.Width < work.Image.Width)
            .ToArray();
    }

    /// <summary>All shared photos larger than 480 px, one after the other.</summary>
    [Benchmark(Baseline = true)]
    public void OpenCv()
    {
        foreach (var (image, size) in _work)
        {
            Cv2.Resize(image, _target, size, 0, 0, InterpolationFlags.Area);
        }
    }

    [Benchmark]
    public void Vectorised()
    {
        foreach (var (image, size) in _work)
        {
            AreaResize.Resize(image, _target, size);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var (image, _) in _work)
        {
            image.Dispose();
        }

        _target.Dispose();
    }
}
