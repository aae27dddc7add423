using FaceOrleans.Vision;

namespace FaceOrleans.Contracts;

/// <summary>
/// The ranges a per-tenant setting may take (<see cref="TenantSetting.Rule"/>), whether the tenant sets it or one call
/// asks for it, and the one way a broken value is refused: a single <see cref="RejectionCode.InvalidParameter"/>
/// naming every problem.
/// </summary>
public static class SettingRules
{
    public const long MinImagePixels = 1024;
    public const long MaxImagePixels = 200_000_000;

    /// <summary>A similarity or detector score threshold.</summary>
    public static readonly SettingRule Threshold = new("between 0 and 1 (exclusive)", v => v is float t && t is > 0 and < 1);

    /// <summary>A pixel limit for uploads.</summary>
    public static readonly SettingRule ImagePixels = new(
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"between {MinImagePixels} and {MaxImagePixels}"), v => v is long p && p is >= MinImagePixels and <= MaxImagePixels);

    /// <summary>A detection mode.</summary>
    public static readonly SettingRule Mode = new("fast or thorough", v => v is DetectionMode m && Enum.IsDefined(m));

    /// <summary>A retention period in days (a century at most).</summary>
    public static readonly SettingRule RetentionDays = new("between 1 and 36500", v => v is int d && d is >= 1 and <= 36_500);

    /// <summary>An inclusive range (NaN is outside every range).</summary>
    public static SettingRule Range(float min, float max) =>
        new(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"between {min} and {max}"), v => v is float f && f >= min && f <= max);

    /// <summary>Text of at most <paramref name="length"/> characters.</summary>
    public static SettingRule AtMost(int length) =>
        new(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"at most {length} characters"), v => v is string { Length: var n } && n <= length);

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

/// <summary>The values a setting may take: <see cref="Bounds"/> says it as README and a refusal do, <c>Allows</c> checks it.</summary>
public sealed record SettingRule(string Bounds, Func<object, bool> Allows)
{
    /// <summary>What is wrong with <paramref name="value"/> for <paramref name="field"/>; null when it is allowed or not given.</summary>
    public string? Problem(object? value, string field) => value is null || Allows(value) ? null : $"{field} must be {Bounds}";
}
