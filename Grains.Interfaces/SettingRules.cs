using FaceOrleans.Vision;

namespace FaceOrleans.Contracts;

/// <summary>
/// The ranges every threshold and limit must fall in, whether a tenant sets it or one call asks for it, and the
/// one way a broken value is refused: a single <see cref="RejectionCode.InvalidParameter"/> naming every problem.
/// </summary>
public static class SettingRules
{
    public const long MinImagePixels = 1024;
    public const long MaxImagePixels = 200_000_000;

    /// <summary>What is wrong with a threshold called <paramref name="field"/>; null when it is valid or not given.</summary>
    public static string? CheckThreshold(float? value, string field) =>
        value is { } threshold && (threshold is <= 0 or >= 1 || float.IsNaN(threshold))
            ? $"{field} must be between 0 and 1 (exclusive)"
            : null;

    /// <summary>What is wrong with a pixel limit called <paramref name="field"/>; null when it is valid or not given.</summary>
    public static string? CheckImagePixels(long? value, string field) =>
        value is { } pixels && pixels is < MinImagePixels or > MaxImagePixels
            ? $"{field} must be between {MinImagePixels} and {MaxImagePixels}"
            : null;

    /// <summary>What is wrong with a quality limit called <paramref name="field"/> (inclusive range); null when it is valid or not given.</summary>
    public static string? CheckRange(float? value, string field, float min, float max) =>
        value is { } limit && (limit < min || limit > max || float.IsNaN(limit))
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{field} must be between {min} and {max}")
            : null;

    /// <summary>What is wrong with a detection mode called <paramref name="field"/>; null when it is valid or not given.</summary>
    public static string? CheckMode(DetectionMode? value, string field) =>
        value is { } mode && !Enum.IsDefined(mode) ? $"{field} must be fast or thorough" : null;

    /// <summary>Refuses the values when any check found a problem; the rejection names the field when only one is wrong.</summary>
    public static void ThrowIfAny(params (string Field, string? Problem)[] checks)
    {
        var problems = checks.Where(c => c.Problem is not null).ToArray();
        if (problems.Length > 0)
        {
            throw new RequestRejectedException(
                RejectionCode.InvalidParameter,
                problems.Length == 1 ? problems[0].Field : null,
                string.Join("; ", problems.Select(p => p.Problem)));
        }
    }
}
