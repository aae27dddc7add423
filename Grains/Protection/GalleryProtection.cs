using FaceOrleans.Contracts.Hosting;
using FaceOrleans.Grains.Gallery;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace FaceOrleans.Grains.Protection;

/// <summary>
/// Encryption at rest in a silo's life. Before anything else starts it loads the master key and checks it on a stored
/// data key: a wrong or missing key stops start-up (<see cref="MasterKeyException"/>) before a row is read or written.
/// Once the silo is active it sweeps: every tenant with rows not under its active key (rows from before encryption,
/// or sealed before a rotation) has them re-sealed in batches, each row only if unchanged since it was read, so the
/// sweep can stop anywhere and the next start, or another silo, carries on where it stopped. Then the SQLite log is
/// emptied, so the rows' earlier form leaves no copy in it.
/// </summary>
public sealed partial class GalleryProtection(
    IGalleryStore store, IOptions<ProtectionOptions> options, IOptions<GalleryOptions> gallery, ILogger<GalleryProtection> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _sweep = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(nameof(GalleryProtection), ServiceLifecycleStage.RuntimeInitialize - 100, LoadKeysAsync);
        lifecycle.Subscribe(nameof(GalleryProtection) + ".Sweep", ServiceLifecycleStage.Active, StartSweep, StopSweepAsync);
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>Sweeps now instead of at the next interval (after a rotation).</summary>
    public void Wake() => _wake.TrySetResult();

    /// <summary>Re-seals every tenant's rows that are not under its active key; the rows re-sealed.</summary>
    public async Task<long> SweepOnceAsync(CancellationToken cancellationToken)
    {
        if (store is not IProtectedGalleryStore { Cipher: not null } sealedStore)
        {
            return 0;
        }

        long total = 0;
        foreach (var tenant in await sealedStore.TenantsToSealAsync())
        {
            long resealed = 0;
            for (int batch; !cancellationToken.IsCancellationRequested && (batch = await sealedStore.SealBatchAsync(tenant, options.Value.SweepBatchSize)) > 0;)
            {
                resealed += batch;
            }

            if (resealed > 0)
            {
                LogSealed(logger, resealed, tenant);
            }

            total += resealed;
        }

        if (total > 0)
        {
            await store.EraseRemnantsAsync();
        }

        return total;
    }

    private async Task LoadKeysAsync(CancellationToken cancellationToken)
    {
        if (store is not IProtectedGalleryStore { Cipher: { } cipher } sealedStore)
        {
            return;
        }

        var stored = await sealedStore.AnyDataKeyAsync();
        if (stored is null && !cipher.Enabled)
        {
            // Nothing was ever sealed and nothing will be: no key needed, and none is created.
            return;
        }

        if (cipher.Provider is MasterKeyProvider local)
        {
            var defaultFile = options.Value.DefaultMasterKeyFile;
            if (local.Load(options.Value, defaultFile, mayCreate: stored is null))
            {
                var created = Path.GetFullPath(defaultFile!);
                LogCreated(logger, created);
            }

            LogLoaded(logger, local.Source, local.MasterKeyId, cipher.Enabled);
        }

        if (stored is { } key)
        {
            _ = await cipher.Provider.UnwrapAsync(key.Tenant, key.Key.Wrapped, cancellationToken);
        }

        // Shard snapshots and vector files from before sealing hold faces in the clear; sealed ones left by a crash are
        // unreadable noise. Either way they go before any shard activates: sealed shards load from the store.
        if (cipher.Enabled && gallery.Value.IndexDirectory is { } root && GalleryShardLoader.EraseShardDirectories(root) is > 0 and var erased)
        {
            LogCachesErased(logger, erased, root);
        }
    }

    private Task StartSweep(CancellationToken cancellationToken)
    {
        _sweep = Task.Run(() => SweepLoopAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopSweepAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _sweep.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task SweepLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var wake = _wake;
            try
            {
                await SweepOnceAsync(stopping);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                // The store may be briefly unavailable (a Redis failover, readers holding the SQLite log): next round.
                LogSweepFailed(logger, ex);
            }

            await Task.WhenAny(wake.Task, Task.Delay(options.Value.SweepInterval, stopping));
            if (wake.Task.IsCompleted)
            {
                _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    // Information, not a warning: the embedded default's first start does this by design (README says what it guards).
    [LoggerMessage(Level = LogLevel.Information, Message =
        "Created a new master key in {Path} (mode 0600): it protects the gallery against a copy of the gallery file or a Redis dump without it, " +
        "not against someone who can read the whole data folder. In production supply FaceOrleans:Protection:MasterKey or MasterKeyFile (docs/data-protection.md).")]
    private static partial void LogCreated(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Master key {MasterKeyId} loaded from {Source}; sealing new gallery rows: {Sealing}")]
    private static partial void LogLoaded(ILogger logger, string source, string masterKeyId, bool sealing);

    [LoggerMessage(Level = LogLevel.Information, Message = "Erased {Shards} shard caches under {Root}: a sealed gallery's shards load from the store")]
    private static partial void LogCachesErased(ILogger logger, int shards, string root);

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-sealed {Rows} gallery rows of tenant {Tenant} under its active data key")]
    private static partial void LogSealed(ILogger logger, long rows, string tenant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The gallery's re-sealing sweep failed; it runs again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
