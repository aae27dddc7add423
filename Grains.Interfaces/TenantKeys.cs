namespace FaceOrleans.Contracts;

/// <summary>
/// How tenant-scoped grains are keyed: by the tenant id (<c>attendance</c>), or by the tenant id and a part of its
/// state after a slash (<c>attendance/3</c>, a gallery shard). Tenant ids never contain a slash: they are one URL
/// segment. Placement (on silos) and the API (which must know whose grain a call reaches) read keys the same way.
/// </summary>
public static class TenantKeys
{
    public static string TenantOf(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? key : key[..slash];
    }

    public static string TenantOf(GrainId grain) => TenantOf(grain.Key.ToString()!);
}
