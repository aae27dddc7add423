using System.Text;
using FaceOrleans.Vision;

namespace FaceOrleans.Contracts;

/// <summary>
/// What one subject may carry besides its faces. A tenant's subjects live in the store its silos share with other
/// tenants, and each is read whole by every listing, so one tenant must not be able to park megabytes per subject.
/// The gallery grain enforces it; the API checks the same rule first, so an oversized body never crosses the cluster.
/// </summary>
public static class SubjectLimits
{
    /// <summary>Keys plus values of a subject's metadata, in UTF-8 bytes.</summary>
    public const int MaxMetadataBytes = 16 * 1024;

    public const int MaxDisplayNameLength = 256;

    public static void Check(string? displayName, IReadOnlyDictionary<string, string>? metadata)
    {
        if (displayName is { Length: > MaxDisplayNameLength })
        {
            throw new RequestRejectedException(RejectionCode.InvalidParameter, "display_name", $"display_name must be at most {MaxDisplayNameLength} characters");
        }

        var bytes = metadata?.Sum(p => Encoding.UTF8.GetByteCount(p.Key) + Encoding.UTF8.GetByteCount(p.Value ?? string.Empty)) ?? 0;
        if (bytes > MaxMetadataBytes)
        {
            throw new RequestRejectedException(RejectionCode.InvalidParameter, "metadata",
                $"metadata holds {bytes} bytes; at most {MaxMetadataBytes} bytes (keys and values, UTF-8) are accepted per subject");
        }
    }
}
