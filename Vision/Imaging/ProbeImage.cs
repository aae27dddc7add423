using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>An image for health probes: a small grey PNG, big enough to pass the decoder's checks, so a probe runs the real detector.</summary>
public static class ProbeImage
{
    public static byte[] Png { get; } = Create();

    private static byte[] Create()
    {
        using var image = new Mat(64, 64, MatType.CV_8UC3, Scalar.All(128));
        return image.ImEncode(".png");
    }
}
