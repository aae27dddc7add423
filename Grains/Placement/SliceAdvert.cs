using FaceOrleans.Grains.Slices;

namespace FaceOrleans.Grains.Placement;

/// <summary>What a silo advertises in its Orleans silo metadata: the slice it owns and the tenants it serves.</summary>
public sealed record SliceAdvert(string SliceId, string Device, IReadOnlySet<string> Tenants, IReadOnlySet<string> StandbyFor)
{
    public const string SliceKey = "faceorleans.slice";
    public const string DeviceKey = "faceorleans.device";
    public const string TenantsKey = "faceorleans.tenants";
    public const string StandbyKey = "faceorleans.standby";

    public static Dictionary<string, string> ToMetadata(SliceOptions slice) => new(StringComparer.Ordinal)
    {
        [SliceKey] = slice.Id,
        [DeviceKey] = slice.Device,
        [TenantsKey] = string.Join(',', slice.Tenants),
        [StandbyKey] = string.Join(',', slice.StandbyFor),
    };

    /// <summary>The advert in a silo's metadata, or null when the silo has not (yet) published one.</summary>
    public static SliceAdvert? FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(SliceKey, out var slice) || string.IsNullOrEmpty(slice))
        {
            return null;
        }

        return new SliceAdvert(
            slice,
            metadata.GetValueOrDefault(DeviceKey) ?? "unknown",
            Split(metadata.GetValueOrDefault(TenantsKey)),
            Split(metadata.GetValueOrDefault(StandbyKey)));

        static HashSet<string> Split(string? list) =>
            new((list ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
    }
}
