using FaceOrleans.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FaceOrleans.Tests.Cluster;

/// <summary>
/// Orleans' watchdog gets a clock that counts from its first reading, so the participant check's unset timestamp
/// reads as the time since the watchdog started, not the machine's uptime (which it reported as a warning).
/// </summary>
public sealed class WatchdogClockTests
{
    [Fact]
    public void The_first_reading_is_near_zero_and_intervals_are_the_system_clocks()
    {
        var clock = new WatchdogClock();

        var systemBefore = TimeProvider.System.GetTimestamp();
        var first = clock.GetTimestamp();
        Thread.Sleep(50);
        var second = clock.GetTimestamp();
        var systemAfter = TimeProvider.System.GetTimestamp();

        // An unset timestamp (0) is what the watchdog's racing thread reads: from it, only the time since the first reading,
        // which is no longer than the time since just before it (the system clock's reading from boot would be far longer).
        var sinceUnset = clock.GetElapsedTime(0);
        Assert.InRange(sinceUnset, TimeSpan.Zero, TimeProvider.System.GetElapsedTime(systemBefore));
        Assert.True(first >= 1, $"first reading {first}");
        Assert.InRange(second - first, TimeSpan.FromMilliseconds(50).Ticks * clock.TimestampFrequency / TimeSpan.TicksPerSecond, systemAfter - systemBefore);
        Assert.Equal(TimeProvider.System.TimestampFrequency, clock.TimestampFrequency);
    }

    [Fact]
    public void A_silo_built_with_the_slice_builds_orleans_watchdog_with_that_clock()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo => silo.UseLocalhostClustering().AddFaceOrleansSlice(new ConfigurationBuilder().Build()));

        var watchdog = Assert.Single(builder.Services, d => !d.IsKeyedService && d.ServiceType.FullName == "Orleans.Runtime.Watchdog");

        // Orleans registers the type itself; found and replaced, it is built by the factory that passes the clock.
        Assert.NotNull(watchdog.ImplementationFactory);
    }
}
