using Microsoft.Extensions.DependencyInjection;

namespace FaceOrleans.Grains.Retention;

/// <summary><c>FaceOrleans:Retention</c>: how often each silo sweeps its tenants for data their retention settings make due.</summary>
public sealed class RetentionOptions
{
    public const string Section = "FaceOrleans:Retention";

    /// <summary>Between two sweeps of a silo's tenants.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>From silo start to its first sweep: a restarted service erases what fell due while it was down this soon.</summary>
    public TimeSpan FirstSweepDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// For tests only: moves the clock that stamps enrollments and audit entries and that retention measures ages by
    /// (<see cref="RetentionClock"/>) this far ahead, so a test can make data due across a restart without waiting days.
    /// </summary>
    public TimeSpan ClockOffset { get; set; }
}

/// <summary>
/// The clock of data ages: enrollment stamps, audit entry times and retention cut-offs. A <see cref="TimeProvider"/>
/// of its own (keyed <see cref="Key"/>), so that a test's <see cref="RetentionOptions.ClockOffset"/> moves it and
/// nothing of Orleans' or the API's timing.
/// </summary>
public sealed class RetentionClock(TimeSpan offset) : TimeProvider
{
    public const string Key = "faceorleans.data-clock";

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;

    public static void Register(IServiceCollection services, RetentionOptions options) =>
        services.AddKeyedSingleton<TimeProvider>(Key, new RetentionClock(options.ClockOffset));
}
