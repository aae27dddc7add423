using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace FaceOrleans.Grains.Protection;

/// <summary>
/// A tenant's unwrapped data keys: the active one seals new rows, every one opens the rows it sealed. A sealed value
/// is <c>"FOE\x01"</c>, the key id (int32 little-endian), a random 96-bit nonce, the AES-256-GCM ciphertext and its
/// 128-bit tag; the associated data names the tenant and the row (kind, ids), so a value copied to another row or
/// tenant does not open. The magic never starts a value written in the clear (an image, JSON, a store's own encoding).
/// </summary>
public sealed class DataKeyRing
{
    public const int Overhead = HeaderBytes + NonceBytes + TagBytes;

    private const int HeaderBytes = 8;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private static readonly byte[] Magic = "FOE\x01"u8.ToArray();

    private readonly string _tenant;
    private readonly Dictionary<int, ConcurrentBag<AesGcm>> _ciphers = [];
    private readonly Dictionary<int, byte[]> _keys;
    private readonly Action _unknownKey;

    public DataKeyRing(string tenant, IReadOnlyDictionary<int, byte[]> keys, Action? unknownKey = null)
    {
        _tenant = tenant;
        _keys = keys.ToDictionary();
        ActiveKeyId = _keys.Keys.Max();
        foreach (var id in _keys.Keys)
        {
            _ciphers[id] = [];
        }

        _unknownKey = unknownKey ?? (() => { });
    }

    public int ActiveKeyId { get; }

    public static bool IsSealed(ReadOnlySpan<byte> value) => value.Length >= Overhead && value.StartsWith(Magic);

    /// <summary>The id of the key that sealed <paramref name="value"/>, or null for a value in the clear.</summary>
    public static int? KeyIdOf(ReadOnlySpan<byte> value) => IsSealed(value) ? BinaryPrimitives.ReadInt32LittleEndian(value[4..]) : null;

    /// <summary><paramref name="plaintext"/> sealed under the active key for the row that <paramref name="row"/> names.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, params ReadOnlySpan<string> row)
    {
        var value = new byte[Overhead + plaintext.Length];
        Magic.CopyTo(value, 0);
        BinaryPrimitives.WriteInt32LittleEndian(value.AsSpan(4), ActiveKeyId);
        var nonce = value.AsSpan(HeaderBytes, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        var aes = Rent(ActiveKeyId);
        try
        {
            aes.Encrypt(nonce, plaintext, value.AsSpan(HeaderBytes + NonceBytes, plaintext.Length), value.AsSpan(value.Length - TagBytes), Context(row));
        }
        finally
        {
            _ciphers[ActiveKeyId].Add(aes);
        }

        return value;
    }

    /// <summary>
    /// The plaintext of a value <see cref="Seal"/> wrote for the same row. A value sealed under a key this ring does not
    /// hold yet (another silo rotated) is a <see cref="GalleryStoreUnavailableException"/>: the ring is reloaded for the retry.
    /// </summary>
    public byte[] Open(ReadOnlySpan<byte> value, params ReadOnlySpan<string> row)
    {
        var id = KeyIdOf(value) ?? throw new CryptographicException($"A value of tenant '{_tenant}' is not sealed.");
        if (!_ciphers.TryGetValue(id, out var pool))
        {
            _unknownKey();
            throw new GalleryStoreUnavailableException($"Tenant '{_tenant}' has a data key this silo has not loaded yet; retry.");
        }

        var plaintext = new byte[value.Length - Overhead];
        var aes = Rent(id);
        try
        {
            aes.Decrypt(value.Slice(HeaderBytes, NonceBytes), value.Slice(HeaderBytes + NonceBytes, plaintext.Length), value[^TagBytes..], plaintext, Context(row));
        }
        finally
        {
            pool.Add(aes);
        }

        return plaintext;
    }

    /// <summary>The value as stored when it may be in the clear (rows from before encryption), else opened.</summary>
    public static byte[] OpenOrPlain(DataKeyRing? ring, byte[] value, params ReadOnlySpan<string> row) =>
        IsSealed(value) ? (ring ?? throw new GalleryStoreUnavailableException("A sealed row has no data key loaded; retry.")).Open(value, row) : value;

    private AesGcm Rent(int id) => _ciphers[id].TryTake(out var aes) ? aes : new AesGcm(_keys[id], TagBytes);

    private byte[] Context(ReadOnlySpan<string> row)
    {
        var context = new StringBuilder(_tenant);
        foreach (var part in row)
        {
            context.Append('\0').Append(part);
        }

        return Encoding.UTF8.GetBytes(context.ToString());
    }
}
