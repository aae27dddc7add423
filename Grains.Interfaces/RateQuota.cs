namespace FaceOrleans.Contracts;

/// <summary>
/// A tenant's rate quota: on average <see cref="Requests"/> every <see cref="PerSeconds"/> seconds, and at most
/// <see cref="Burst"/> (default: <see cref="Requests"/>) at once after a quiet spell. Each API instance enforces it
/// with a token bucket of <see cref="BurstSize"/> tokens refilled at that rate.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.RateQuota")]
public sealed record RateQuota(
    [property: Id(0)] int Requests,
    [property: Id(1)] double PerSeconds,
    [property: Id(2)] int? Burst = null)
{
    public const int MaxRequests = 1_000_000;
    public const double MaxPeriodSeconds = 86_400;

    /// <summary>The bucket's size: how many requests may come at once.</summary>
    public int BurstSize => Burst ?? Requests;

    /// <summary>Refuses values out of range, naming them as <c>PUT /v1/{tenant}/quota</c> does.</summary>
    public void ThrowIfInvalid() => SettingRules.ThrowIfAny(
        ("requests", Requests is < 1 or > MaxRequests ? $"requests must be between 1 and {MaxRequests}" : null),
        ("per_seconds", PerSeconds is > 0 and <= MaxPeriodSeconds ? null : $"per_seconds must be more than 0 and at most {MaxPeriodSeconds}"),
        ("burst", Burst is < 1 or > MaxRequests ? $"burst must be between 1 and {MaxRequests}" : null));
}
