namespace FaceOrleans.Grains.Slices;

/// <summary>Where unpinned tenants go and how long callers should wait for a missing slice (section <c>FaceOrleans:Placement</c>).</summary>
public sealed class TenantPlacementOptions
{
    public const string Section = "FaceOrleans:Placement";

    /// <summary>Slice for tenants pinned nowhere; null (with <see cref="RefuseUnknownTenants"/> false) also refuses them.</summary>
    public string? DefaultSlice { get; set; }

    /// <summary>
    /// True (the default): a tenant pinned nowhere is refused (404 <c>unknown-tenant</c>), so a mistyped tenant in a
    /// URL creates no state and no metrics series. False opts into open tenants: any tenant an admin names goes to
    /// <see cref="DefaultSlice"/>.
    /// </summary>
    public bool RefuseUnknownTenants { get; set; } = true;

    /// <summary>The retry hint given when a tenant's slice has no live silo.</summary>
    public int RetryAfterSeconds { get; set; } = 10;

    /// <summary>
    /// Tenant to slice, given to every silo: these pins hold even when the slice's silo has never been seen by
    /// this one (for example after a full restart with that slice still down), so such a tenant is refused with
    /// "slice unavailable" and never placed on the default slice. Slices' own tenant lists add to these.
    /// </summary>
    public Dictionary<string, string> Pins { get; set; } = new(StringComparer.Ordinal);
}
