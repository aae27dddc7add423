using FaceOrleans.Vision;
using FaceOrleans.Vision.Evaluation;
using OpenCvSharp;

namespace FaceOrleans.Tests.Vision;

/// <summary>Each degradation does to a real photo what its name says, measured on the result.</summary>
[Collection(SharedVisionModels.Name)]
public sealed class PhotoDegraderTests(VisionFixture fixture)
{
    private const string Portrait = "img22.jpg";

    [Fact]
    public void Grayscale_has_three_equal_channels_holding_the_luma()
    {
        using var photo = Load(Portrait);
        using var gray = Degrade(photo, new CaptureCondition("gray", Grayscale: true));

        var channels = gray.Bgr.Split();
        Assert.Equal(0, Cv2.Norm(channels[0], channels[1], NormTypes.INF));
        Assert.Equal(0, Cv2.Norm(channels[1], channels[2], NormTypes.INF));
        // The source was colour, and the gray is its BT.601 luma.
        var source = photo.Image.Split();
        Assert.True(Cv2.Norm(source[0], source[2], NormTypes.INF) > 50);
        using var luma = new Mat();
        Cv2.CvtColor(photo.Image, luma, ColorConversionCodes.BGR2GRAY);
        Assert.Equal(0, Cv2.Norm(luma, channels[0], NormTypes.INF));
        Dispose(channels, source);
    }

    [Theory]
    [InlineData(48)]
    [InlineData(28)]
    public void Downscale_brings_the_redetected_eyes_to_the_target_distance(double target)
    {
        using var photo = Load(Portrait);
        Assert.True(photo.InterEye > 100, $"the test photo's eyes are {photo.InterEye:0} px apart");

        using var small = Degrade(photo, new CaptureCondition("small", InterEyePixels: target));

        Assert.Equal(target / photo.InterEye, small.Scale, 6);
        Assert.Equal(Math.Round(photo.Image.Width * small.Scale), small.Bgr.Width, 1.0);
        var face = DetectedFace.MostProminent(Detect(small.Bgr));
        Assert.NotNull(face);
        Assert.InRange(InterEye(face), target * 0.9, target * 1.1);
    }

    [Fact]
    public void Downscale_never_enlarges_a_face_already_smaller_than_the_target()
    {
        using var photo = Load(Portrait);
        using var same = Degrade(photo, new CaptureCondition("large", InterEyePixels: photo.InterEye * 2));

        Assert.Equal(1.0, same.Scale);
        Assert.Equal(0, Cv2.Norm(photo.Image, same.Bgr, NormTypes.INF));
    }

    [Fact]
    public void Jpeg_is_reencoded_with_the_quality_30_quantisation_table()
    {
        using var photo = Load(Portrait);

        // libjpeg scales its standard luminance table (DC entry 16) by 5000 / quality for quality below 50:
        // (16 * 166 + 50) / 100 = 27 at quality 30, and (16 * 10 + 50) / 100 = 2 at quality 95.
        Assert.Equal(27, FirstLuminanceQuantiser(PhotoDegrader.EncodeJpeg(photo.Image, 30)));
        Assert.Equal(2, FirstLuminanceQuantiser(PhotoDegrader.EncodeJpeg(photo.Image, 95)));

        using var jpeg = Degrade(photo, new CaptureCondition("jpeg", JpegQuality: 30));
        Assert.Equal(photo.Image.Size(), jpeg.Bgr.Size());
        var psnr = Cv2.PSNR(photo.Image, jpeg.Bgr);
        Assert.InRange(psnr, 25, 45); // visibly lossy, still the same picture
    }

    [Fact]
    public void Blur_removes_edges_on_the_face_in_proportion_to_its_strength()
    {
        using var photo = Load(Portrait);
        using var mild = Degrade(photo, new CaptureCondition("mild", BlurEyeFraction: 1.0 / 32));
        using var strong = Degrade(photo, new CaptureCondition("strong", BlurEyeFraction: 1.0 / 16));

        // Measured on the aligned 112 px crop the recognizer sees, where the sigmas are about 1.1 and 2.2 px.
        var sharpness = CropSharpness(photo.Image, photo.Face);
        var mildSharpness = CropSharpness(mild.Bgr, photo.Face);
        var strongSharpness = CropSharpness(strong.Bgr, photo.Face);
        Assert.True(mildSharpness < sharpness * 0.5, $"{sharpness:0.0} -> {mildSharpness:0.0}");
        Assert.True(strongSharpness < mildSharpness * 0.5, $"{mildSharpness:0.0} -> {strongSharpness:0.0}");
        Assert.Equal(photo.Image.Size(), strong.Bgr.Size());
    }

    [Fact]
    public void Dim_light_follows_gain_and_gamma_and_adds_noise_of_the_stated_sigma()
    {
        using var photo = Load(Portrait);
        var dim = new DimLight(Gain: 0.4, Gamma: 1.5, NoiseSigma: 6);
        using var dark = Degrade(photo, new CaptureCondition("dim", Dim: dim));

        // The noiseless expectation: 255 * gain * (in / 255)^gamma.
        using var expected = new Mat();
        photo.Image.ConvertTo(expected, MatType.CV_32FC3, 1 / 255.0);
        Cv2.Pow(expected, dim.Gamma, expected);
        expected.ConvertTo(expected, MatType.CV_32FC3, 255 * dim.Gain);
        using var actual = new Mat();
        dark.Bgr.ConvertTo(actual, MatType.CV_32FC3);
        using var residual = new Mat();
        Cv2.Subtract(actual, expected, residual);
        // Away from 0 and 255 nothing is clipped, so the residual is the noise (plus rounding).
        using var unclipped = new Mat();
        Cv2.InRange(expected, new Scalar(30, 30, 30), new Scalar(220, 220, 220), unclipped);
        Cv2.MeanStdDev(residual, out var mean, out var std, unclipped);
        for (var channel = 0; channel < 3; channel++)
        {
            Assert.InRange(mean[channel], -0.5, 0.5);
            Assert.InRange(std[channel], 5.5, 6.5);
        }

        Assert.True(Cv2.Mean(dark.Bgr).Val0 < Cv2.Mean(photo.Image).Val0 * 0.4);
    }

    [Fact]
    public void Noise_is_the_same_for_the_same_photo_and_condition_and_differs_otherwise()
    {
        using var photo = Load(Portrait);
        var night = CaptureCondition.Standard.Single(c => c.Name == "night-cctv");
        using var first = PhotoDegrader.Apply(photo.Image, photo.Face.Landmarks[0], photo.Face.Landmarks[1], night, PhotoDegrader.SeedFor(Portrait, night));
        using var again = PhotoDegrader.Apply(photo.Image, photo.Face.Landmarks[0], photo.Face.Landmarks[1], night, PhotoDegrader.SeedFor(Portrait, night));
        using var other = PhotoDegrader.Apply(photo.Image, photo.Face.Landmarks[0], photo.Face.Landmarks[1], night, PhotoDegrader.SeedFor("img23.jpg", night));

        Assert.Equal(0, Cv2.Norm(first.Bgr, again.Bgr, NormTypes.INF));
        Assert.True(Cv2.Norm(first.Bgr, other.Bgr, NormTypes.INF) > 0);
        Assert.NotEqual(PhotoDegrader.SeedFor(Portrait, night), PhotoDegrader.SeedFor(Portrait, CaptureCondition.Standard.Single(c => c.Name == "dim")));
    }

    [Fact]
    public void Night_cctv_is_small_gray_dark_and_compressed_at_once()
    {
        using var photo = Load(Portrait);
        var night = CaptureCondition.Standard.Single(c => c.Name == "night-cctv");
        using var frame = Degrade(photo, night);

        var channels = frame.Bgr.Split();
        Assert.Equal(0, Cv2.Norm(channels[0], channels[2], NormTypes.INF));
        var face = DetectedFace.MostProminent(Detect(frame.Bgr));
        Assert.NotNull(face);
        Assert.InRange(InterEye(face), night.InterEyePixels!.Value * 0.9, night.InterEyePixels!.Value * 1.1);
        using var luma = new Mat();
        Cv2.CvtColor(photo.Image, luma, ColorConversionCodes.BGR2GRAY);
        Assert.True(Cv2.Mean(channels[0]).Val0 < Cv2.Mean(luma).Val0 * 0.4);
        Dispose(channels);
    }

    [Fact]
    public void Condition_lists_parse_by_name_and_always_include_clean()
    {
        Assert.Equal(CaptureCondition.Standard, CaptureCondition.Parse("all"));
        Assert.Equal(["clean", "grayscale", "tiny"], CaptureCondition.Parse("grayscale, tiny,grayscale").Select(c => c.Name));
        var ex = Assert.Throws<FormatException>(() => CaptureCondition.Parse("grayscale,fog"));
        Assert.Contains("'fog'", ex.Message, StringComparison.Ordinal);
        Assert.Single(CaptureCondition.Standard, c => c.IsClean);
    }

    private sealed record LoadedPhoto(Mat Image, DetectedFace Face) : IDisposable
    {
        public double InterEye => PhotoDegraderTests.InterEye(Face);

        public void Dispose() => Image.Dispose();
    }

    private IReadOnlyList<DetectedFace> Detect(Mat image) =>
        fixture.Pipeline.Detector.Detect([image], fixture.Pipeline.Detector.DefaultScoreThreshold)[0];

    private LoadedPhoto Load(string name)
    {
        using var decoded = ImageDecoder.Decode(TestPaths.Photo(name), ImageLimits.Default);
        var face = DetectedFace.MostProminent(Detect(decoded.Bgr))
            ?? throw new InvalidOperationException($"No face in {name}.");
        return new LoadedPhoto(decoded.Bgr.Clone(), face);
    }

    private static DegradedPhoto Degrade(LoadedPhoto photo, CaptureCondition condition) =>
        PhotoDegrader.Apply(photo.Image, photo.Face.Landmarks[0], photo.Face.Landmarks[1], condition, seed: 7);

    private static double InterEye(DetectedFace face) =>
        Math.Sqrt(Math.Pow(face.Landmarks[1].X - face.Landmarks[0].X, 2) + Math.Pow(face.Landmarks[1].Y - face.Landmarks[0].Y, 2));

    /// <summary>Variance of the Laplacian of the aligned face crop.</summary>
    private static double CropSharpness(Mat bgr, DetectedFace face)
    {
        using var crop = FaceAligner.Align(bgr, face.Landmarks);
        using var gray = new Mat();
        Cv2.CvtColor(crop, gray, ColorConversionCodes.BGR2GRAY);
        using var laplacian = new Mat();
        Cv2.Laplacian(gray, laplacian, MatType.CV_64F);
        Cv2.MeanStdDev(laplacian, out _, out var std);
        return std.Val0 * std.Val0;
    }

    /// <summary>The first entry (the DC quantiser) of the JPEG's first 8-bit quantisation table, the luminance one.</summary>
    private static int FirstLuminanceQuantiser(byte[] jpeg)
    {
        Assert.True(jpeg[0] == 0xFF && jpeg[1] == 0xD8, "not a JPEG");
        for (var i = 2; i + 4 < jpeg.Length; i++)
        {
            if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDB)
            {
                // FF DB, 2-byte length, then precision (high nibble) and table id (low nibble), then 64 entries.
                Assert.Equal(0x00, jpeg[i + 4]);
                return jpeg[i + 5];
            }
        }

        throw new InvalidOperationException("No quantisation table in the JPEG.");
    }

    private static void Dispose(params Mat[][] groups)
    {
        foreach (var mat in groups.SelectMany(g => g))
        {
            mat.Dispose();
        }
    }
}
