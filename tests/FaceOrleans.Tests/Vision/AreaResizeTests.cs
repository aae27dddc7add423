using FaceOrleans.Vision;
using OpenCvSharp;

namespace FaceOrleans.Tests.Vision;

/// <summary>
/// <see cref="AreaResize"/> replaces OpenCV's area resize on the detector's and the decoder's path only because its
/// pixels are OpenCV's, byte for byte: every shared photo at the sizes the pipeline resizes to, and odd sizes, ratios
/// and memory layouts cut from them.
/// </summary>
public sealed class AreaResizeTests
{
    [Fact]
    public void Every_shared_photo_shrinks_to_the_bytes_OpenCV_gives()
    {
        var checkedCount = 0;
        var mismatches = new List<string>();
        foreach (var file in Directory.GetFiles(TestPaths.FacesDirectory, "*.jpg").Order())
        {
            // As the pipeline decodes them: at full working detail and reduced for the prominent face.
            foreach (var limits in new[] { ImageLimits.Default.FullDetail, ImageLimits.Default })
            {
                using var decoded = ImageDecoder.Decode(File.ReadAllBytes(file), limits);
                var image = decoded.Bgr;
                // The detector's sides (fast, thorough, smaller) and the decoder's working side.
                foreach (var longSide in new[] { 480, 640, 320, 960 })
                {
                    var scale = Math.Min((double)longSide / image.Width, (double)longSide / image.Height);
                    if (scale >= 1)
                    {
                        continue;
                    }

                    var size = new Size((int)Math.Round(image.Width * scale), (int)Math.Round(image.Height * scale));
                    checkedCount++;
                    if (Mismatch(image, size, 0, 0) is { } bySize)
                    {
                        mismatches.Add($"{Path.GetFileName(file)} {image.Width}x{image.Height} to {size.Width}x{size.Height}: {bySize}");
                    }

                    if (Mismatch(image, default, scale, scale) is { } byFactor)
                    {
                        mismatches.Add($"{Path.GetFileName(file)} {image.Width}x{image.Height} by {scale:0.####}: {byFactor}");
                    }
                }
            }
        }

        Assert.True(checkedCount >= 400, $"only {checkedCount} resizes were checked");
        Assert.Empty(mismatches);
    }

    [Theory]
    [InlineData(1001, 777, 480, 370)]   // ratios just over 2
    [InlineData(481, 300, 480, 299)]    // ratios just over 1: most columns take two source pixels
    [InlineData(640, 480, 640, 317)]    // one axis unchanged
    [InlineData(1000, 1, 333, 1)]       // a single row
    [InlineData(7, 900, 1, 97)]         // a single column
    [InlineData(1200, 1100, 13, 11)]    // ratios near 100: many taps per pixel
    [InlineData(1500, 1000, 500, 334)]  // a whole ratio across, not down
    public void Odd_sizes_and_ratios_shrink_to_the_bytes_OpenCV_gives(int width, int height, int toWidth, int toHeight)
    {
        using var photo = SharedPhoto(width, height);
        Assert.Null(Mismatch(photo, new Size(toWidth, toHeight), 0, 0));
    }

    [Fact]
    public void A_region_of_a_larger_image_shrinks_to_the_bytes_OpenCV_gives()
    {
        // Rows that are not contiguous in memory, and a last pixel followed by more of the parent's row.
        using var photo = SharedPhoto(1400, 1000);
        using var region = photo[new Rect(13, 17, 1011, 733)];
        Assert.False(region.IsContinuous());
        Assert.Null(Mismatch(region, new Size(449, 326), 0, 0));
        Assert.Null(Mismatch(region, default, 0.37, 0.37));
    }

    [Theory]
    [InlineData(800, 600, 400, 300)]    // whole ratio: OpenCV's block average
    [InlineData(400, 300, 500, 375)]    // enlarging
    [InlineData(800, 600, 900, 300)]    // enlarging across, shrinking down
    public void Other_resizes_are_OpenCVs_own(int width, int height, int toWidth, int toHeight)
    {
        using var photo = SharedPhoto(width, height);
        Assert.Null(Mismatch(photo, new Size(toWidth, toHeight), 0, 0));
        using var gray = photo.CvtColor(ColorConversionCodes.BGR2GRAY);
        Assert.Null(Mismatch(gray, new Size(toWidth * 3 / 4, toHeight * 3 / 4), 0, 0));
    }

    /// <summary>A shared photo resized to the given size by OpenCV itself, so the sweep's sources are real pixels.</summary>
    private static Mat SharedPhoto(int width, int height)
    {
        var file = Directory.GetFiles(TestPaths.FacesDirectory, "*.jpg").Order().First();
        using var photo = Cv2.ImRead(file, ImreadModes.Color);
        return photo.Resize(new Size(width, height), 0, 0, InterpolationFlags.Linear);
    }

    /// <summary>Null when both resizes give the same size, type and bytes; else what differs.</summary>
    private static string? Mismatch(Mat source, Size size, double fx, double fy)
    {
        using var expected = new Mat();
        using var actual = new Mat();
        Cv2.Resize(source, expected, size, fx, fy, InterpolationFlags.Area);
        AreaResize.Resize(source, actual, size, fx, fy);
        if (expected.Size() != actual.Size() || expected.Type() != actual.Type())
        {
            return $"OpenCV gives {expected.Width}x{expected.Height} {expected.Type()}, this {actual.Width}x{actual.Height} {actual.Type()}";
        }

        using var difference = new Mat();
        Cv2.Absdiff(expected, actual, difference);
        var differing = Cv2.CountNonZero(difference.Reshape(1));
        return differing == 0 ? null : $"{differing} of {expected.Total() * expected.Channels()} bytes differ";
    }
}
