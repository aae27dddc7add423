using System.Security.Cryptography;

namespace FaceOrleans.Contracts;

/// <summary>Enrolled faces' ids: 64 random bits as 16 lowercase hex digits.</summary>
public static class FaceIds
{
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public static bool IsValid(string faceId) => faceId.Length == 16 && faceId.All(char.IsAsciiHexDigitLower);
}
