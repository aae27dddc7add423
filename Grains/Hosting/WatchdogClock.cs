using Microsoft.Extensions.DependencyInjection;

namespace FaceOrleans.Grains.Hosting;

/// <summary>
/// A clock for Orleans' silo watchdog alone, whose timestamps count from its first reading. <c>Watchdog.Start</c>
/// (Orleans 10.4) starts its platform thread before it sets the participant check's first timestamp, so that
/// thread's first check can still read 0 there and report "Participant check thread has not completed for" the
/// time since timestamp 0: with the system clock, the machine's uptime, a false warning at every start that loses
/// the race. Start's first act is to read this clock, so an unset timestamp reads as the time since Start (far below
/// the check's 20 s), while every interval between two real readings is what the system clock gives.
/// </summary>
internal sealed class WatchdogClock : TimeProvider
{
    private long _origin = -1;

    public override long TimestampFrequency => TimeProvider.System.TimestampFrequency;

    public override long GetTimestamp()
    {
        var now = TimeProvider.System.GetTimestamp();
        var origin = Interlocked.CompareExchange(ref _origin, now - 1, -1);
        return now - (origin == -1 ? now - 1 : origin);
    }

    public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow();

    public override TimeZoneInfo LocalTimeZone => TimeProvider.System.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        TimeProvider.System.CreateTimer(callback, state, dueTime, period);

    /// <summary>Builds Orleans' (internal) watchdog with this clock instead of the membership clock it otherwise shares.</summary>
    public static void Register(IServiceCollection services)
    {
        var watchdog = services.LastOrDefault(d => !d.IsKeyedService && d.ServiceType.FullName == "Orleans.Runtime.Watchdog");
        if (watchdog is null)
        {
            // Another Orleans version: the start-up log test (SiloStartupLogTests) tells whether the race is still there.
            return;
        }

        var type = watchdog.ServiceType;
        services.Remove(watchdog);
        services.AddSingleton(type, provider => ActivatorUtilities.CreateInstance(provider, type, new WatchdogClock()));
    }
}
