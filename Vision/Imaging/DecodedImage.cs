using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>A decoded, EXIF-oriented BGR image at working resolution; disposing it frees the pixels.</summary>
public sealed class DecodedImage(Mat bgr, double scaleToOriginal, bool lostDetail = false) : IDisposable
{
    public Mat Bgr { get; } = bgr;

    /// <summary>Multiply working-image coordinates by this to get coordinates in the uploaded (oriented) image.</summary>
    public double ScaleToOriginal { get; } = scaleToOriginal;

    /// <summary>A reduced decode made it smaller than <see cref="ImageLimits.FullDetail"/> would have.</summary>
    public bool LostDetail { get; } = lostDetail;

    public void Dispose() => Bgr.Dispose();
}
