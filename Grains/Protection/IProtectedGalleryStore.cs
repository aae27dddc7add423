using FaceOrleans.Grains.Gallery;

namespace FaceOrleans.Grains.Protection;

/// <summary>A data key as stored: wrapped by the master key that <see cref="MasterKeyId"/> names.</summary>
public sealed record WrappedDataKey(int Id, byte[] Wrapped, string MasterKeyId, DateTimeOffset CreatedUtc);

/// <summary>How many rows of one kind (faces, photos, subjects) one key sealed; a null key counts rows still in the clear.</summary>
public sealed record SealedRows(int? KeyId, string Kind, long Rows);

/// <summary>
/// A gallery store that seals its rows (<see cref="DataKeyRing"/>) and keeps its tenants' wrapped data keys beside
/// them, so deleting a tenant deletes its keys in the same step (crypto-shredding).
/// </summary>
public interface IProtectedGalleryStore : IGalleryStore
{
    /// <summary>Seals and opens rows; null when the store was built without a key provider.</summary>
    GalleryCipher? Cipher { get; }

    Task<IReadOnlyList<WrappedDataKey>> GetDataKeysAsync(string tenant);

    /// <summary>Stores a new key; false when the tenant already has one with that id (another silo rotated first).</summary>
    Task<bool> AddDataKeyAsync(string tenant, WrappedDataKey key);

    /// <summary>Any one stored data key with its tenant (start-up checks the master key on it), or null when none exists.</summary>
    Task<(string Tenant, WrappedDataKey Key)?> AnyDataKeyAsync();

    /// <summary>Tenants with a row not under their active key (in the clear, or sealed under an older key).</summary>
    Task<IReadOnlyList<string>> TenantsToSealAsync();

    /// <summary>
    /// Re-seals up to <paramref name="maxRows"/> of the tenant's rows that are not under its active key, each only if
    /// it did not change meanwhile; the rows rewritten, 0 once all are under the active key. Safe to stop anywhere.
    /// </summary>
    Task<int> SealBatchAsync(string tenant, int maxRows);

    /// <summary>The tenant's rows per key and kind.</summary>
    Task<IReadOnlyList<SealedRows>> CountSealedRowsAsync(string tenant);
}
