using System.IO.Hashing;
using System.Text;
using OpenCvSharp;

namespace FaceOrleans.Vision.Evaluation;

/// <summary>A degraded copy of a photo, as the pipeline would get it from decoding the camera's upload.</summary>
/// <param name="Bgr">Three-channel 8-bit BGR (a monochrome camera's frame has three equal channels, as decoders deliver it).</param>
/// <param name="Scale">The factor the image was resized by (1 when it was not).</param>
public sealed record DegradedPhoto(Mat Bgr, double Scale) : IDisposable
{
    public void Dispose() => Bgr.Dispose();
}

/// <summary>
/// Makes the copies of a photo that a worse camera would have taken (<see cref="CaptureCondition"/>), in memory
/// and deterministically: the only randomness, sensor noise, comes from a seed the caller fixes.
/// </summary>
public static class PhotoDegrader
{
    /// <summary>A seed that depends only on the photo's name and the condition, so every run makes the same noise.</summary>
    public static ulong SeedFor(string photoName, CaptureCondition condition) =>
        XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{condition.Name}/{photoName}"));

    /// <param name="bgr">The clean photo, 8-bit BGR; left untouched.</param>
    /// <param name="leftEye">The face's left eye in <paramref name="bgr"/>'s pixels.</param>
    /// <param name="rightEye">The face's right eye in <paramref name="bgr"/>'s pixels.</param>
    public static DegradedPhoto Apply(Mat bgr, FacePoint leftEye, FacePoint rightEye, CaptureCondition condition, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(bgr);
        ArgumentNullException.ThrowIfNull(condition);
        if (bgr.Type() != MatType.CV_8UC3)
        {
            throw new ArgumentException($"Expected an 8-bit BGR image, got {bgr.Type()}.", nameof(bgr));
        }

        var interEye = Math.Sqrt(Math.Pow(rightEye.X - leftEye.X, 2) + Math.Pow(rightEye.Y - leftEye.Y, 2));
        var image = bgr.Clone();
        var scale = 1.0;
        try
        {
            if (condition.BlurEyeFraction is { } fraction)
            {
                Cv2.GaussianBlur(image, image, new Size(0, 0), fraction * interEye);
            }

            if (condition.InterEyePixels is { } target && interEye > target)
            {
                scale = target / interEye;
                var resized = new Mat();
                Cv2.Resize(image, resized, new Size(0, 0), scale, scale, InterpolationFlags.Area);
                Swap(ref image, resized);
            }

            if (condition.Dim is { } dim)
            {
                Darken(image, dim, seed);
            }

            if (condition.Grayscale)
            {
                var gray = new Mat();
                Cv2.CvtColor(image, gray, ColorConversionCodes.BGR2GRAY);
                Swap(ref image, gray);
            }

            if (condition.JpegQuality is { } quality)
            {
                // Decoded as the service decodes an upload: a grayscale JPEG comes back as three equal channels.
                Swap(ref image, Cv2.ImDecode(EncodeJpeg(image, quality), ImreadModes.Color));
            }
            else if (image.Channels() == 1)
            {
                var bgrCopy = new Mat();
                Cv2.CvtColor(image, bgrCopy, ColorConversionCodes.GRAY2BGR);
                Swap(ref image, bgrCopy);
            }

            return new DegradedPhoto(image, scale);
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>JPEG bytes at the given quality; a one-channel image makes a grayscale JPEG, as a monochrome camera's.</summary>
    public static byte[] EncodeJpeg(Mat image, int quality)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        Cv2.ImEncode(".jpg", image, out var bytes, new ImageEncodingParam(ImwriteFlags.JpegQuality, quality));
        return bytes;
    }

    /// <summary>out = gain · in^gamma + noise on intensities in 0..1, rounded and clipped back to 8 bits in place.</summary>
    private static void Darken(Mat image, DimLight dim, ulong seed)
    {
        using var intensity = new Mat();
        image.ConvertTo(intensity, MatType.CV_32FC(image.Channels()), 1 / 255.0);
        Cv2.Pow(intensity, dim.Gamma, intensity);
        using var noise = new Mat(intensity.Size(), intensity.Type());
        var rng = new RNG(seed);
        rng.Fill(noise, DistributionType.Normal, new Scalar(0, 0, 0), new Scalar(dim.NoiseSigma / 255, dim.NoiseSigma / 255, dim.NoiseSigma / 255));
        Cv2.ScaleAdd(intensity, dim.Gain, noise, intensity);
        intensity.ConvertTo(image, MatType.CV_8UC(image.Channels()), 255);
    }

    private static void Swap(ref Mat image, Mat next)
    {
        image.Dispose();
        image = next;
    }
}
