using System.Security.Cryptography;
using System.Text;
using FaceOrleans.Contracts.Hosting;

namespace FaceOrleans.Grains.Protection;

/// <summary>
/// The default <see cref="IKeyProvider"/>: a 256-bit master key held in this process, from an environment secret or a
/// key file, wrapping each data key with AES-GCM bound to its tenant. It is loaded at silo start-up
/// (<see cref="ProtectionStartup"/>), before anything is read or written.
/// </summary>
public sealed class MasterKeyProvider : IKeyProvider
{
    public const int KeyBytes = 32;

    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    private byte[]? _key;

    public string MasterKeyId { get; private set; } = string.Empty;

    /// <summary>Where the key came from, for the start-up log line.</summary>
    public string Source { get; private set; } = string.Empty;

    /// <summary>
    /// Reads the master key from <see cref="ProtectionOptions.MasterKey"/>, else from the key file (the configured
    /// one, else <paramref name="defaultFile"/>). Only the default file is created when missing, and only when
    /// <paramref name="mayCreate"/> (nothing was ever sealed): a lost key file must stop start-up, not be replaced.
    /// </summary>
    /// <returns>True when it created the default key file.</returns>
    /// <param name="defaultFile">Null where there is no safe default (silos on several machines must share one key).</param>
    public bool Load(ProtectionOptions options, string? defaultFile, bool mayCreate)
    {
        if (!string.IsNullOrWhiteSpace(options.MasterKey))
        {
            Use(Parse(options.MasterKey, "FaceOrleans:Protection:MasterKey"), "FaceOrleans:Protection:MasterKey");
            return false;
        }

        if (string.IsNullOrWhiteSpace(options.MasterKeyFile) && defaultFile is null)
        {
            throw new MasterKeyException("no master key: in Redis mode every silo needs the same one, set FaceOrleans:Protection:MasterKey " +
                "(FaceOrleans__Protection__MasterKey, 32 bytes in base64) or FaceOrleans:Protection:MasterKeyFile");
        }

        var file = Path.GetFullPath(string.IsNullOrWhiteSpace(options.MasterKeyFile) ? defaultFile! : options.MasterKeyFile);
        var created = false;
        if (!File.Exists(file))
        {
            if (!string.IsNullOrWhiteSpace(options.MasterKeyFile) || !mayCreate)
            {
                throw new MasterKeyException($"the master key file {file} does not exist, and the gallery holds data keys sealed under a master key: " +
                    "restore the key file or set FaceOrleans:Protection:MasterKey (FaceOrleans__Protection__MasterKey)");
            }

            created = Create(file);
        }

        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new MasterKeyException($"the master key file {file} cannot be read: {ex.Message}", ex);
        }

        Use(Parse(text, file), file);
        return created;
    }

    public Task<byte[]> WrapAsync(string tenant, byte[] dataKey, CancellationToken cancellationToken = default)
    {
        var wrapped = new byte[NonceBytes + dataKey.Length + TagBytes];
        var nonce = wrapped.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(Key, TagBytes);
        aes.Encrypt(nonce, dataKey, wrapped.AsSpan(NonceBytes, dataKey.Length), wrapped.AsSpan(NonceBytes + dataKey.Length), Context(tenant));
        return Task.FromResult(wrapped);
    }

    public Task<byte[]> UnwrapAsync(string tenant, byte[] wrapped, CancellationToken cancellationToken = default)
    {
        if (wrapped.Length <= NonceBytes + TagBytes)
        {
            throw new MasterKeyException($"a data key of tenant '{tenant}' is malformed");
        }

        var dataKey = new byte[wrapped.Length - NonceBytes - TagBytes];
        try
        {
            using var aes = new AesGcm(Key, TagBytes);
            aes.Decrypt(wrapped.AsSpan(0, NonceBytes), wrapped.AsSpan(NonceBytes, dataKey.Length), wrapped.AsSpan(NonceBytes + dataKey.Length), dataKey, Context(tenant));
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new MasterKeyException(
                $"the master key ({Source}, id {MasterKeyId}) is not the one that sealed the gallery's data keys (tenant '{tenant}'): start with the right key", ex);
        }

        return Task.FromResult(dataKey);
    }

    /// <summary>One master key serves every tenant: deleting the tenant's wrapped data keys from the store is the shredding.</summary>
    public Task DeleteTenantAsync(string tenant, CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>A provider holding <paramref name="key"/> (base64), as an environment secret gives it.</summary>
    public static MasterKeyProvider FromBase64(string key)
    {
        var provider = new MasterKeyProvider();
        provider.Load(new ProtectionOptions { MasterKey = key }, defaultFile: null, mayCreate: false);
        return provider;
    }

    /// <summary>A new random key, as a key file holds it.</summary>
    public static string NewKeyText() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes));

    private byte[] Key => _key ?? throw new InvalidOperationException("The master key is not loaded yet (ProtectionStartup loads it at silo start-up).");

    private void Use(byte[] key, string source)
    {
        _key = key;
        Source = source;
        MasterKeyId = Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 6));
    }

    private static byte[] Parse(string text, string source)
    {
        try
        {
            var key = Convert.FromBase64String(text.Trim());
            return key.Length == KeyBytes ? key : throw new MasterKeyException($"the master key in {source} is {key.Length} bytes, not {KeyBytes}");
        }
        catch (FormatException ex)
        {
            throw new MasterKeyException($"the master key in {source} is not base64", ex);
        }
    }

    /// <summary>Writes a new key file readable by its owner only, atomically: two silos starting at once end up with the same key.</summary>
    private static bool Create(string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var temporary = $"{file}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(temporary, Encoding.ASCII, options))
        {
            writer.Write(NewKeyText());
        }

        try
        {
            File.Move(temporary, file, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(file))
        {
            File.Delete(temporary);
            return false;
        }
    }

    private static byte[] Context(string tenant) => Encoding.UTF8.GetBytes("faceorleans-data-key\0" + tenant);
}
