using FaceOrleans.Grains.Gallery;

namespace FaceOrleans.Grains.Protection;

/// <summary>
/// A tenant's data keys as the admin routes see them. It holds nothing: the keys live in the gallery store and each
/// silo's <see cref="GalleryCipher"/>; a rotation wakes this silo's <see cref="GalleryProtection"/> sweep at once.
/// </summary>
[GrainType("tenantkeys")]
public sealed class TenantKeysGrain(IGalleryStore store, GalleryProtection protection) : Grain, ITenantKeysGrain
{
    private IProtectedGalleryStore Store => store as IProtectedGalleryStore is { Cipher: not null } protectedStore
        ? protectedStore
        : throw new InvalidOperationException("The gallery store was built without a key provider.");

    public async Task<DataKeyStatus> GetStatus()
    {
        var tenant = this.GetPrimaryKeyString();
        var keys = await Store.GetDataKeysAsync(tenant);
        var rows = await Store.CountSealedRowsAsync(tenant);
        int? active = keys.Count > 0 ? keys[^1].Id : null;
        var perKey = rows.Select(r => r.KeyId).Concat(keys.Select(k => (int?)k.Id)).Distinct().Order()
            .Select(id => new DataKeyRows(id, keys.FirstOrDefault(k => k.Id == id)?.CreatedUtc,
                Count(rows, id, "faces"), Count(rows, id, "photos"), Count(rows, id, "subjects")))
            .ToArray();
        var total = rows.Sum(r => r.Rows);
        var toSeal = rows.Where(r => r.KeyId != active || (active is null && Store.Cipher!.Enabled)).Sum(r => r.Rows);
        return new DataKeyStatus(Store.Cipher!.Enabled, Store.Cipher.Provider.MasterKeyId, active, perKey, total, toSeal);
    }

    public async Task<DataKeyStatus> Rotate()
    {
        await Store.Cipher!.RotateAsync(this.GetPrimaryKeyString());
        protection.Wake();
        return await GetStatus();
    }

    private static long Count(IReadOnlyList<SealedRows> rows, int? keyId, string kind) =>
        rows.Where(r => r.KeyId == keyId && r.Kind == kind).Sum(r => r.Rows);
}
