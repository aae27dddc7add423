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

/// <summary>
/// The least a face must be to enroll (per tenant; <see cref="Default"/> otherwise): large enough, sharp enough and
/// near enough to frontal. The defaults were chosen with the <c>quality</c> command on the shared photos: every
/// clean photo's face passes (49.5 px or more between the eyes, sharpness 599 or more, |yaw| at most 29° but for
/// the selfie's half-cut face, |pitch| at most 22°), as do the mildly blurred copies (sharpness 39.7 or more),
/// while the strongly blurred copies (33 or less) and the 28 px `tiny` copies are refused; README has the table.
/// </summary>
public sealed record QualityLimits(float MinInterEyeDistance, float MinSharpness, float MaxYaw, float MaxPitch)
{
    public const string TooSmall = "too-small";
    public const string TooBlurred = "too-blurred";
    public const string TurnedAside = "turned-aside";
    public const string TiltedUpOrDown = "tilted-up-or-down";

    /// <summary>
    /// 40 px between the eyes: above the 35 px the recognizer's aligned crop holds, so an enrolled face is never
    /// upsampled. Sharpness 35: between the sharpest strongly blurred copy and the softest mildly blurred one. Yaw 35°
    /// and pitch 30°: beyond the widest shared portrait, where one eye starts to turn away and alignment suffers.
    /// </summary>
    public static readonly QualityLimits Default = new(MinInterEyeDistance: 40, MinSharpness: 35, MaxYaw: 35, MaxPitch: 30);

    /// <summary>Why the face may not enroll, one code each (<see cref="TooSmall"/>, …); empty when it may.</summary>
    public IReadOnlyList<string> Problems(FaceQuality quality)
    {
        ArgumentNullException.ThrowIfNull(quality);
        var problems = new List<string>();
        if (quality.InterEyeDistance < MinInterEyeDistance)
        {
            problems.Add(TooSmall);
        }

        if (quality.Sharpness < MinSharpness)
        {
            problems.Add(TooBlurred);
        }

        if (MathF.Abs(quality.Yaw) > MaxYaw)
        {
            problems.Add(TurnedAside);
        }

        if (MathF.Abs(quality.Pitch) > MaxPitch)
        {
            problems.Add(TiltedUpOrDown);
        }

        return problems;
    }

    /// <summary>The problems <see cref="Problems"/> found, each with its measure, for a rejection's detail.</summary>
    public static string Describe(FaceQuality quality, IEnumerable<string> problems)
    {
        ArgumentNullException.ThrowIfNull(quality);
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return string.Join("; ", problems.Select(problem => problem switch
        {
            TooSmall => string.Create(c, $"too small ({quality.InterEyeDistance:0} px between the eyes)"),
            TooBlurred => string.Create(c, $"too blurred (sharpness {quality.Sharpness:0})"),
            TurnedAside => string.Create(c, $"turned aside (yaw {quality.Yaw:0}°)"),
            _ => string.Create(c, $"tilted up or down (pitch {quality.Pitch:0}°)"),
        }));
    }
}
