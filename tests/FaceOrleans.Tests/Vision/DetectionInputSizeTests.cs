using FaceOrleans.Vision;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace FaceOrleans.Tests.Vision;

/// <summary>
/// The detector keeps each photo's aspect ratio and runs at more than one size (the provisioned model's height and
/// width are symbolic). Every size the pipeline ships must find the faces the square 640 letterbox finds.
/// </summary>
[Collection(SharedVisionModels.Name)]
public sealed class DetectionInputSizeTests(VisionFixture fixture)
{
    /// <summary>The sizes these tests vouch for; the shipped ones must be among them.</summary>
    private static readonly int[] TestedSides = [640, 480];

    private const float SeenThreshold = 0.3f;

    private RetinaFaceDetector Detector => (RetinaFaceDetector)fixture.Pipeline.Detector;

    public static TheoryData<int> Sides() => new(TestedSides);

    [Fact]
    public void The_shipped_sizes_are_the_tested_ones()
    {
        Assert.True(Detector.HasDynamicInput);
        Assert.Contains(fixture.Pipeline.FullSide, TestedSides);
        Assert.Contains(fixture.Pipeline.ProminentFaceSide, TestedSides);
        Assert.True(fixture.Pipeline.ProminentFaceSide < fixture.Pipeline.FullSide, "no smaller first try is shipped");
    }

    [Fact]
    public void At_640_square_the_patched_model_is_bit_identical_to_the_shared_fixed_size_copy()
    {
        // The shared copy has a fixed 640x640 input; the provisioned one differs only by the dynamic-input-size patch.
        var model = fixture.Sessions.Catalog.Get(Detector.ModelName);
        using var before = LetterboxDetector(Path.Combine(TestPaths.SharedDirectory, "models", model.File));
        using var after = LetterboxDetector(fixture.Sessions.Catalog.VerifiedPathOf(model));

        foreach (var photo in new[] { "img1.jpg", "couple.jpg", "selfie-many-people.jpg", "img54.jpg" })
        {
            using var image = ImageDecoder.Decode(TestPaths.Photo(photo), ImageLimits.Default);
            var expected = before.Detect([image.Bgr], 0.05f)[0];
            var actual = after.Detect([image.Bgr], 0.05f)[0];
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Box, actual[i].Box);
                Assert.Equal(expected[i].Score, actual[i].Score);
                Assert.Equal(expected[i].Landmarks, actual[i].Landmarks);
            }
        }
    }

    [Fact]
    public void Input_keeps_the_aspect_ratio_padded_to_the_stride_with_priors_for_that_size()
    {
        var fit = Detector.Fit(1382, 1868, 640); // img1.jpg
        Assert.Equal((473, 640), (fit.Width, fit.Height));
        Assert.Equal((480, 640), Detector.InputSize(fit));
        // Two anchors per cell at strides 8, 16 and 32.
        Assert.Equal(2 * ((60 * 80) + (30 * 40) + (15 * 20)), Detector.PriorCount(480, 640));
        Assert.Equal(16800, Detector.PriorCount(640, 640));
        Assert.Equal((384, 480), Detector.InputSize(Detector.Fit(1382, 1868, 480))); // 355 px wide, padded
    }

    [Theory]
    [MemberData(nameof(Sides))]
    public void Every_shared_photo_gives_the_faces_of_the_640_letterbox(int side)
    {
        using var letterbox = LetterboxDetector(fixture.Sessions.Catalog.VerifiedPathOf(fixture.Sessions.Catalog.Get(Detector.ModelName)));
        var problems = new List<string>();
        foreach (var file in Directory.GetFiles(TestPaths.FacesDirectory, "*.jpg").Order())
        {
            // Each decoded as the pipeline decodes it: full detail for the reference and the full size, reduced for the
            // prominent-face size; faces compared in the uploaded photo's pixels.
            var bytes = File.ReadAllBytes(file);
            using var full = ImageDecoder.Decode(bytes, ImageLimits.Default.FullDetail);
            using var image = side < fixture.Pipeline.FullSide ? ImageDecoder.Decode(bytes, ImageLimits.Default) : ImageDecoder.Decode(bytes, ImageLimits.Default.FullDetail);
            var reference = letterbox.Detect([full.Bgr], letterbox.DefaultScoreThreshold)[0].Select(f => f.Scale(full.ScaleToOriginal)).ToArray();
            var seen = letterbox.Detect([full.Bgr], SeenThreshold)[0].Select(f => f.Scale(full.ScaleToOriginal)).ToArray();
            var faces = Detector.Detect([image.Bgr], Detector.DefaultScoreThreshold, side)[0].Select(f => f.Scale(image.ScaleToOriginal)).ToArray();
            var (width, height) = (full.Bgr.Width * full.ScaleToOriginal, full.Bgr.Height * full.ScaleToOriginal);
            var scale = side / Math.Max(width, height);

            // A face matters when the network sees it at least 32 px high and wide and it is not cut by the frame:
            // a half face at the border gets a box extrapolated beyond the image, which moves with the scale.
            bool Matters(DetectedFace f) =>
                Math.Min(f.Box.Width, f.Box.Height) * scale >= 32
                && f.Box.Left > 2 && f.Box.Top > 2 && f.Box.Right < width - 2 && f.Box.Bottom < height - 2;

            foreach (var face in reference.Where(Matters))
            {
                var best = faces.Select(f => f.Box.IntersectionOverUnion(face.Box)).DefaultIfEmpty(0).Max();
                if (best < 0.9f)
                {
                    problems.Add($"{Path.GetFileName(file)}: the face at {face.Box} is matched with IoU {best:0.00} at {side}");
                }
            }

            // A smaller size may lift a face over the threshold that the letterbox scores just under it (blurred
            // bystanders in img31 and img40 at 480, checked by eye), but it must not find one the letterbox never saw.
            foreach (var face in faces.Where(Matters))
            {
                if (seen.All(r => r.Box.IntersectionOverUnion(face.Box) < 0.5f))
                {
                    problems.Add($"{Path.GetFileName(file)}: {side} finds a face at {face.Box} that the letterbox does not see even at {SeenThreshold}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [MemberData(nameof(Sides))]
    public void The_group_photos_keep_their_face_counts(int side)
    {
        Assert.Equal(2, CountAt("couple.jpg", side));
        Assert.Equal(6, CountAt("selfie-many-people.jpg", side));
    }

    [Fact]
    public async Task A_face_too_small_for_the_first_size_is_found_by_the_full_size_fallback()
    {
        // img12's face scaled to about 19 px at the 640 side of a 1920x1280 canvas: about 14 px at 480, under
        // RetinaFace's smallest anchor (16 px). Scores measured: 0.88 at 640, at most 0.34 at 480.
        var bytes = SmallFaceOnCanvas();
        using var decoded = ImageDecoder.Decode(bytes, ImageLimits.Default);
        Assert.Empty(Detector.Detect([decoded.Bgr], Detector.DefaultScoreThreshold, fixture.Pipeline.ProminentFaceSide)[0]);
        Assert.Single(Detector.Detect([decoded.Bgr], Detector.DefaultScoreThreshold, fixture.Pipeline.FullSide)[0]);

        var embedded = (await fixture.Pipeline.EmbedAsync([bytes], fixture.Defaults, prominentFaceFirst: true))[0];
        Assert.Single(embedded);
        var comparison = await fixture.Pipeline.CompareAsync(bytes, TestPaths.Photo("img12.jpg"), fixture.Defaults);
        Assert.Null(comparison.MissingFaceIn);
        Assert.Single(comparison.Faces1);
    }

    [Fact]
    public void Detection_sides_come_from_configuration_and_are_checked()
    {
        var fullOnly = FacePipeline.Create(fixture.Sessions, sides: new DetectionSides(ProminentFace: 640));
        Assert.Equal((640, 640), (fullOnly.FullSide, fullOnly.ProminentFaceSide));
        var bigger = FacePipeline.Create(fixture.Sessions, sides: new DetectionSides(Full: 800, ProminentFace: 416));
        Assert.Equal((800, 416), (bigger.FullSide, bigger.ProminentFaceSide));
        Assert.Throws<ArgumentException>(() => FacePipeline.Create(fixture.Sessions, sides: new DetectionSides(Full: 480, ProminentFace: 640)));
    }

    private int CountAt(string photo, int side)
    {
        using var image = side < fixture.Pipeline.FullSide
            ? ImageDecoder.Decode(TestPaths.Photo(photo), ImageLimits.Default)
            : ImageDecoder.Decode(TestPaths.Photo(photo), ImageLimits.Default.FullDetail);
        return Detector.Detect([image.Bgr], Detector.DefaultScoreThreshold, side)[0].Count;
    }

    /// <summary>The detector run the old way, letterboxed into its fixed 640x640 input, from this model file.</summary>
    private RetinaFaceDetector LetterboxDetector(string path)
    {
        var model = fixture.Sessions.Catalog.Get(Detector.ModelName);
        var spec = model with { Input = model.Input with { DynamicSize = false } };
        return new RetinaFaceDetector(new ModelSession(spec, path, new InferenceSession(path), "CPU", new ConcurrencyGauge()), maxBatchSize: 8);
    }

    private static byte[] SmallFaceOnCanvas()
    {
        using var portrait = ImageDecoder.Decode(TestPaths.Photo("img12.jpg"), ImageLimits.Default);
        using var small = new Mat();
        Cv2.Resize(portrait.Bgr, small, new Size(0, 0), 0.30, 0.30, InterpolationFlags.Area);
        using var canvas = new Mat(1280, 1920, MatType.CV_8UC3, new Scalar(128, 128, 128));
        using (var region = new Mat(canvas, new Rect(600, 400, small.Width, small.Height)))
        {
            small.CopyTo(region);
        }

        return canvas.ImEncode(".png");
    }
}
