using FaceOrleans.Api.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Messaging;

namespace FaceOrleans.Tests.Api;

/// <summary>
/// The API resends its calls in flight when membership drops a silo, and only then: a silo that joins, or comes back
/// under a new generation, cancels nothing; an unreadable membership table is not a death.
/// </summary>
public sealed class SiloDeathWatcherTests
{
    private static readonly Uri Cpu1 = new("gwy.tcp://127.0.0.1:30001/1001");
    private static readonly Uri Cpu1Restarted = new("gwy.tcp://127.0.0.1:30001/2002");
    private static readonly Uri Cpu2 = new("gwy.tcp://127.0.0.1:30002/1002");

    [Fact]
    public async Task A_silo_dropping_out_of_membership_cancels_the_calls_in_flight_and_a_join_does_not()
    {
        var membership = new Membership([Cpu1, Cpu2]);
        using var losses = new SiloLosses();
        var watcher = new SiloDeathWatcher(membership, losses, TimeSpan.FromSeconds(1), new Lifetime(), NullLogger<SiloDeathWatcher>.Instance);

        Assert.False(await watcher.PollAsync()); // the first read only learns who is there
        var inFlight = losses.Next;

        membership.Gateways = [Cpu1, Cpu2];
        Assert.False(await watcher.PollAsync());
        Assert.False(inFlight.IsCancellationRequested);

        membership.Gateways = [Cpu2];
        Assert.True(await watcher.PollAsync());
        Assert.True(inFlight.IsCancellationRequested);

        var afterwards = losses.Next;
        Assert.False(afterwards.IsCancellationRequested);
        membership.Gateways = [Cpu2, Cpu1Restarted];
        Assert.False(await watcher.PollAsync());
        Assert.False(afterwards.IsCancellationRequested);
    }

    [Fact]
    public async Task An_unreadable_membership_table_is_not_a_death()
    {
        var membership = new Membership([Cpu1, Cpu2]);
        using var losses = new SiloLosses();
        var watcher = new SiloDeathWatcher(membership, losses, TimeSpan.FromSeconds(1), new Lifetime(), NullLogger<SiloDeathWatcher>.Instance);
        Assert.False(await watcher.PollAsync());
        var inFlight = losses.Next;

        membership.Failing = true;
        Assert.False(await watcher.PollAsync());
        membership.Failing = false;
        Assert.False(await watcher.PollAsync());
        Assert.False(inFlight.IsCancellationRequested);

        // A death while the table was unreadable is still noticed at the next read.
        membership.Failing = true;
        Assert.False(await watcher.PollAsync());
        membership.Failing = false;
        membership.Gateways = [Cpu1];
        Assert.True(await watcher.PollAsync());
        Assert.True(inFlight.IsCancellationRequested);
    }

    private sealed class Membership(IList<Uri> gateways) : IGatewayListProvider
    {
        public IList<Uri> Gateways { get; set; } = gateways;

        public bool Failing { get; set; }

        public TimeSpan MaxStaleness => TimeSpan.FromSeconds(2);

        public bool IsUpdatable => true;

        public Task InitializeGatewayListProvider() => Task.CompletedTask;

        public Task<IList<Uri>> GetGateways() =>
            Failing ? Task.FromException<IList<Uri>>(new InvalidOperationException("membership table unreachable")) : Task.FromResult<IList<Uri>>([.. Gateways]);
    }

    private sealed class Lifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => new(canceled: true);

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
