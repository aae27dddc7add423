using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>
/// How fit a face is to enroll, measured once per face by the pipeline: its size, its sharpness and where it
/// points. <see cref="QualityLimits"/> turns the measures into reasons to refuse.
/// </summary>
/// <param name="InterEyeDistance">Pixels between the eye centres, in the uploaded image.</param>
/// <param name="Sharpness">Variance of the Laplacian over the inner face of the aligned 112 px crop (eyes to mouth).</param>
/// <param name="Yaw">Degrees turned left or right (<see cref="HeadPose"/>).</param>
/// <param name="Pitch">Degrees tilted up or down (<see cref="HeadPose"/>).</param>
public sealed record FaceQuality(float InterEyeDistance, float Sharpness, float Yaw, float Pitch)
{
    /// <summary>
    /// The inner face of the 112 px template, a few pixels around its five points: what the recognizer looks at,
    /// without the hair, background or black border a warp of a face near the image edge brings into the corners.
    /// </summary>
    private static readonly Rect InnerFace = new(28, 36, 56, 66);

    /// <param name="landmarks">The face's five points in the uploaded image's pixels.</param>
    /// <param name="sharpness">What <see cref="SharpnessOf"/> measured on the face's aligned crop.</param>
    public static FaceQuality Measure(IReadOnlyList<FacePoint> landmarks, float sharpness)
    {
        var pose = HeadPose.Estimate(landmarks);
        var (left, right) = (landmarks[0], landmarks[1]);
        var interEye = MathF.Sqrt(((right.X - left.X) * (right.X - left.X)) + ((right.Y - left.Y) * (right.Y - left.Y)));
        return new FaceQuality(interEye, sharpness, pose.Yaw, pose.Pitch);
    }

    /// <summary>
    /// Variance of the Laplacian of the crop's gray levels over the inner face: a blurred face has weak edges, so
    /// little second-derivative energy. A face smaller than the template is upsampled into it, so a small face
    /// reads as soft too, which is the point: its detail is not there.
    /// </summary>
    /// <param name="alignedCrop">The face warped onto the 112x112 template (<see cref="FaceAligner.Align"/>), 8-bit BGR.</param>
    public static float SharpnessOf(Mat alignedCrop)
    {
        ArgumentNullException.ThrowIfNull(alignedCrop);
        if (alignedCrop.Width != FaceAligner.TemplateSize || alignedCrop.Height != FaceAligner.TemplateSize)
        {
            throw new ArgumentException($"Expected a {FaceAligner.TemplateSize}x{FaceAligner.TemplateSize} aligned crop.", nameof(alignedCrop));
        }

        using var inner = new Mat(alignedCrop, InnerFace);
        using var gray = new Mat();
        Cv2.CvtColor(inner, gray, ColorConversionCodes.BGR2GRAY);
        using var laplacian = new Mat();
        Cv2.Laplacian(gray, laplacian, MatType.CV_64F);
        Cv2.MeanStdDev(laplacian, out _, out var deviation);
        return (float)(deviation.Val0 * deviation.Val0);
    }
}
