using System.Collections.Concurrent;
using FaceOrleans.Grains.Slices;
using Microsoft.Extensions.Options;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace FaceOrleans.Grains.Placement;

/// <summary>
/// Decides which silo may host a tenant or a slice, from the slice adverts in the cluster's silo metadata.
/// It remembers every tenant-to-slice pin it has seen, and knows the pins configured cluster-wide, so that
/// when a slice's silo is down its tenants fail with "slice unavailable" instead of moving to the default slice.
/// </summary>
public sealed class SliceDirectory(
    ISiloMetadataCache metadata, IClusterMembershipService membership, IOptionsMonitor<TenantPlacementOptions> options)
{
    private readonly ConcurrentDictionary<string, string> _knownPins = new(StringComparer.Ordinal);

    private TenantPlacementOptions Options => options.CurrentValue;

    public SiloAddress PlaceSlice(string sliceId, IReadOnlyList<SiloAddress> candidates)
    {
        var (adverts, _) = Read(candidates);
        return adverts.FirstOrDefault(a => a.Advert.SliceId == sliceId).Silo
            ?? throw new SliceUnavailableException(null, sliceId, Options.RetryAfterSeconds);
    }

    public SiloAddress PlaceTenant(string tenantId, IReadOnlyList<SiloAddress> candidates)
    {
        var (adverts, anyUnknown) = Read(candidates);
        if (PinnedSliceOf(tenantId) is { } pinned)
        {
            return adverts.FirstOrDefault(a => a.Advert.SliceId == pinned).Silo
                ?? adverts.FirstOrDefault(a => a.Advert.StandbyFor.Contains(tenantId)).Silo
                ?? throw new SliceUnavailableException(tenantId, pinned, Options.RetryAfterSeconds);
        }

        if (anyUnknown)
        {
            // A silo whose advert has not arrived may be the tenant's own: wait rather than misplace it.
            throw new SliceUnavailableException(tenantId, "(not yet known)", Options.RetryAfterSeconds);
        }

        var fallback = Options.RefuseUnknownTenants ? null : Options.DefaultSlice;
        if (string.IsNullOrEmpty(fallback))
        {
            throw new TenantNotServedException(tenantId);
        }

        return adverts.FirstOrDefault(a => a.Advert.SliceId == fallback).Silo
            ?? throw new SliceUnavailableException(tenantId, fallback, Options.RetryAfterSeconds);
    }

    /// <summary>The slice a tenant is pinned to: as a live silo advertised it, else as configured cluster-wide.</summary>
    public string? PinnedSliceOf(string tenantId) =>
        _knownPins.GetValueOrDefault(tenantId) ?? Options.Pins.GetValueOrDefault(tenantId);

    /// <summary>Whether an active silo currently advertises the slice.</summary>
    public bool IsSliceLive(string sliceId) => LiveSlices().Any(a => a.Advert.SliceId == sliceId);

    /// <summary>Every slice an active silo advertises, with its silo.</summary>
    public IReadOnlyList<(SiloAddress Silo, SliceAdvert Advert)> LiveSlices()
    {
        var active = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress)
            .ToArray();
        return Read(active).Adverts;
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
}
