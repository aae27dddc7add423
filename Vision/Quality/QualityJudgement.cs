namespace FaceOrleans.Vision;

/// <summary>
/// Judging a measured <see cref="FaceQuality"/> against <see cref="QualityLimits"/>. The limits are plain data in
/// Vision.Abstractions (they cross grain calls and tenant settings); the measure is the pipeline's (OpenCV), so the
/// judgement lives here, as extension members that read as the limits' own.
/// </summary>
public static class QualityJudgement
{
    extension(QualityLimits limits)
    {
        /// <summary>Why the face may not enroll, one code each (<see cref="QualityLimits.TooSmall"/>, …); empty when it may.</summary>
        public IReadOnlyList<string> Problems(FaceQuality quality)
        {
            ArgumentNullException.ThrowIfNull(quality);
            var problems = new List<string>();
            if (quality.InterEyeDistance < limits.MinInterEyeDistance)
            {
                problems.Add(QualityLimits.TooSmall);
            }

            if (quality.Sharpness < limits.MinSharpness)
            {
                problems.Add(QualityLimits.TooBlurred);
            }

            if (MathF.Abs(quality.Yaw) > limits.MaxYaw)
            {
                problems.Add(QualityLimits.TurnedAside);
            }

            if (MathF.Abs(quality.Pitch) > limits.MaxPitch)
            {
                problems.Add(QualityLimits.TiltedUpOrDown);
            }

            return problems;
        }

        /// <summary>The problems <c>Problems</c> found, each with its measure, for a rejection's detail.</summary>
        public static string Describe(FaceQuality quality, IEnumerable<string> problems)
        {
            ArgumentNullException.ThrowIfNull(quality);
            var c = System.Globalization.CultureInfo.InvariantCulture;
            return string.Join("; ", problems.Select(problem => problem switch
            {
                QualityLimits.TooSmall => string.Create(c, $"too small ({quality.InterEyeDistance:0} px between the eyes)"),
                QualityLimits.TooBlurred => string.Create(c, $"too blurred (sharpness {quality.Sharpness:0})"),
                QualityLimits.TurnedAside => string.Create(c, $"turned aside (yaw {quality.Yaw:0}°)"),
                _ => string.Create(c, $"tilted up or down (pitch {quality.Pitch:0}°)"),
            }));
        }
    }
}
