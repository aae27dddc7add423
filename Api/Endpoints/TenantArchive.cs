using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FaceOrleans.Contracts;
using FaceOrleans.Vision;

namespace FaceOrleans.Api.Endpoints;

/// <summary>
/// A tenant's export as one sealed file: <c>FOARCH01</c>, a 16-byte salt, a 12-byte nonce, a 16-byte tag, then the
/// export (JSON, gzip) encrypted with AES-256-GCM under a key derived from the operator's passphrase
/// (PBKDF2-HMAC-SHA256, 600 000 iterations, the salt). The header is the associated data, so no byte of the file
/// can change unnoticed; a wrong passphrase and a damaged file are the same refusal.
/// </summary>
internal static class TenantArchive
{
    public const string PassphraseHeader = "X-Archive-Passphrase";

    public const int MinPassphraseLength = 12;

    private const int SaltSize = 16;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int Iterations = 600_000;
    private static readonly byte[] Magic = "FOARCH01"u8.ToArray();
    private static readonly int HeaderSize = Magic.Length + SaltSize + NonceSize;

    public static byte[] Seal(TenantExport export, string passphrase)
    {
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.Optimal, leaveOpen: true))
        {
            JsonSerializer.Serialize(gzip, export);
        }

        var plain = packed.ToArray();
        var archive = new byte[HeaderSize + TagSize + plain.Length];
        Magic.CopyTo(archive, 0);
        RandomNumberGenerator.Fill(archive.AsSpan(Magic.Length, SaltSize + NonceSize));
        var header = archive.AsSpan(0, HeaderSize);
        using var aes = new AesGcm(Key(passphrase, header.Slice(Magic.Length, SaltSize)), TagSize);
        aes.Encrypt(header[^NonceSize..], plain, archive.AsSpan(HeaderSize + TagSize), archive.AsSpan(HeaderSize, TagSize), header);
        return archive;
    }

    public static TenantExport Open(byte[] archive, string passphrase)
    {
        if (archive.Length < HeaderSize + TagSize || !archive.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw Unreadable("the body is not a FaceOrleans tenant archive");
        }

        var header = archive.AsSpan(0, HeaderSize);
        var plain = new byte[archive.Length - HeaderSize - TagSize];
        try
        {
            using var aes = new AesGcm(Key(passphrase, header.Slice(Magic.Length, SaltSize)), TagSize);
            aes.Decrypt(header[^NonceSize..], archive.AsSpan(HeaderSize + TagSize), archive.AsSpan(HeaderSize, TagSize), plain, header);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw Unreadable("the archive was sealed with another passphrase, or it was altered");
        }

        using var gzip = new GZipStream(new MemoryStream(plain), CompressionMode.Decompress);
        var export = JsonSerializer.Deserialize<TenantExport>(gzip) ?? throw Unreadable("the archive holds no export");
        return export.Version == TenantExport.CurrentVersion ? export : throw Unreadable($"archive version {export.Version} is not {TenantExport.CurrentVersion}");
    }

    /// <summary>The request's passphrase, refused when missing or shorter than <see cref="MinPassphraseLength"/>.</summary>
    public static string Passphrase(HttpContext http) =>
        http.Request.Headers[PassphraseHeader].ToString() is { Length: >= MinPassphraseLength } passphrase
            ? passphrase
            : throw new RequestRejectedException(RejectionCode.InvalidParameter, PassphraseHeader,
                $"send the archive's passphrase, at least {MinPassphraseLength} characters, in the {PassphraseHeader} header");

    private static byte[] Key(string passphrase, ReadOnlySpan<byte> salt) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, Iterations, HashAlgorithmName.SHA256, 32);

    private static RequestRejectedException Unreadable(string why) =>
        new(RejectionCode.ArchiveUnreadable, "body", $"The tenant archive cannot be opened: {why}.");
}
