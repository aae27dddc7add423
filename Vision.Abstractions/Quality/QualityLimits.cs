namespace FaceOrleans.Vision;

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
}
