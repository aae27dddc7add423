using System.Collections.Concurrent;
using FaceOrleans.Grains.Slices;
using Microsoft.Extensions.Options;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace FaceOrleans.Grains.Placement;

/// <summary>
/// Decides which silo may host a tenant or a slice, from the slice adverts in the cluster's silo metadata.
/// It remembers every tenant-to-slice pin it has seen, and knows the pins configured cluster-wide, so that
/// when a slice's silo is down its tenants fail with "slice unavailable" instead of moving to the default slice.
/// Adverts are read as they arrive (<see cref="Learner"/>), not only when a placement needs them: a silo's
/// metadata is gone from the cache once it dies, and its pins must outlive it.
/// </summary>
public sealed class SliceDirectory(
    ISiloMetadataCache metadata, IClusterMembershipService membership, IClusterManifestProvider manifests, IOptionsMonitor<TenantPlacementOptions> options)
{
    private readonly ConcurrentDictionary<string, string> _knownPins = new(StringComparer.Ordinal);

    private TenantPlacementOptions Options => options.CurrentValue;

    public SiloAddress PlaceSlice(string sliceId, IReadOnlyList<SiloAddress> candidates)
    {
        var (adverts, _) = Read(candidates);
        return adverts.FirstOrDefault(a => a.Advert.SliceId == sliceId).Silo
            ?? throw new SliceUnavailableException(null, sliceId, Options.RetryAfterSeconds);
    }

    /// <summary>
    /// The one silo among <paramref name="candidates"/> that serves the tenant: the silo owning its slice; while
    /// that has none, a silo standing by for it (the first by slice id, so every silo and the API agree); an
    /// unpinned tenant's, the default slice's silo. Throws the reason when none does.
    /// </summary>
    public SiloAddress ServingSilo(string tenantId, IReadOnlyList<SiloAddress> candidates)
    {
        var (adverts, anyUnknown) = Read(candidates);
        return Serving(tenantId, adverts, anyUnknown, out var refusal) is var (silo, _) ? silo : throw refusal!;
    }

    /// <summary>The slice a tenant is pinned to: as a live silo advertised it, else as configured cluster-wide.</summary>
    public string? PinnedSliceOf(string tenantId) =>
        _knownPins.GetValueOrDefault(tenantId) ?? Options.Pins.GetValueOrDefault(tenantId);

    /// <summary>
    /// Whether a grain of the tenant on <paramref name="silo"/> should leave it: the tenant is pinned to a slice that
    /// <paramref name="silo"/> does not own, and another silo owning that slice is live again, with its grain types
    /// known here (until they are, placement does not offer that silo, and the grain would only be placed here again).
    /// </summary>
    public bool IsAwayFromHome(string tenantId, SiloAddress silo) =>
        PinnedSliceOf(tenantId) is { } home
        && LiveSlices().Any(a => a.Advert.SliceId == home && !a.Silo.Equals(silo) && manifests.Current.Silos.ContainsKey(a.Silo));

    /// <summary>Every slice an active silo advertises, with its silo.</summary>
    public IReadOnlyList<(SiloAddress Silo, SliceAdvert Advert)> LiveSlices()
    {
        var active = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress)
            .ToArray();
        return Read(active).Adverts;
    }

    private (SiloAddress Silo, SliceAdvert Advert)? Serving(
        string tenantId, List<(SiloAddress Silo, SliceAdvert Advert)> adverts, bool anyUnknown, out Exception? refusal)
    {
        refusal = null;
        if (PinnedSliceOf(tenantId) is { } pinned)
        {
            var home = adverts.Where(a => a.Advert.SliceId == pinned)
                .Concat(adverts.Where(a => a.Advert.StandbyFor.Contains(tenantId)).OrderBy(a => a.Advert.SliceId, StringComparer.Ordinal))
                .Select(a => ((SiloAddress, SliceAdvert)?)a)
                .FirstOrDefault();
            refusal = home is null ? new SliceUnavailableException(tenantId, pinned, Options.RetryAfterSeconds) : null;
            return home;
        }

        if (anyUnknown)
        {
            // A silo whose advert has not arrived may be the tenant's own: wait rather than misplace it.
            refusal = new SliceUnavailableException(tenantId, "(not yet known)", Options.RetryAfterSeconds);
            return null;
        }

        var fallback = Options.RefuseUnknownTenants ? null : Options.DefaultSlice;
        if (string.IsNullOrEmpty(fallback))
        {
            refusal = new TenantNotServedException(tenantId);
            return null;
        }

        var served = adverts.Where(a => a.Advert.SliceId == fallback).Select(a => ((SiloAddress, SliceAdvert)?)a).FirstOrDefault();
        refusal = served is null ? new SliceUnavailableException(tenantId, fallback, Options.RetryAfterSeconds) : null;
        return served;
    }

    private (List<(SiloAddress Silo, SliceAdvert Advert)> Adverts, bool AnyUnknown) Read(IReadOnlyList<SiloAddress> candidates)
    {
        var adverts = new List<(SiloAddress, SliceAdvert)>(candidates.Count);
        var anyUnknown = false;
        foreach (var silo in candidates)
        {
            var advert = SliceAdvert.FromMetadata(metadata.GetSiloMetadata(silo).Metadata);
            if (advert is null)
            {
                anyUnknown = true;
                continue;
            }

            foreach (var tenant in advert.Tenants)
            {
                _knownPins[tenant] = advert.SliceId;
            }

            adverts.Add((silo, advert));
        }

        return (adverts, anyUnknown);
    }

    /// <summary>Reads the live adverts every second, so the directory knows every live slice's pins before it needs them.</summary>
    internal sealed class Learner(SliceDirectory directory) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new();
        private Task _loop = Task.CompletedTask;

        public void Participate(ISiloLifecycle lifecycle) => lifecycle.Subscribe(
            nameof(SliceDirectory),
            ServiceLifecycleStage.Active,
            _ =>
            {
                _loop = LearnAsync(_stopping.Token);
                return Task.CompletedTask;
            },
            async _ =>
            {
                await _stopping.CancelAsync();
                await _loop;
            });

        public void Dispose() => _stopping.Dispose();

        private async Task LearnAsync(CancellationToken stopping)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                do
                {
                    _ = directory.LiveSlices();
                }
                while (await timer.WaitForNextTickAsync(stopping));
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
        }
    }
}
