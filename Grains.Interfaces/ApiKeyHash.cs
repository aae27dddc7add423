using System.Security.Cryptography;
using System.Text;

namespace FaceOrleans.Contracts;

/// <summary>
/// How a key is stored and looked up: its SHA-256 in lower-case hex. Keys carry 256 random bits, so a plain
/// hash is as safe to store as a slow password hash. Shared by the keys grain and the API's key cache.
/// </summary>
public static class ApiKeyHash
{
    public static string Of(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
