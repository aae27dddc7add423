using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using FaceOrleans.Grains;
using FaceOrleans.Vision;

namespace FaceOrleans.Api.Endpoints;

// Response bodies; the API writes them in snake_case (is_same_person, timing_ms), as the tutorial's clients expect.

public sealed record BoxJson(float Left, float Top, float Right, float Bottom, float Width, float Height);

/// <summary>Each point is [x, y] in the uploaded image's pixels.</summary>
public sealed record LandmarksJson(float[] LeftEye, float[] RightEye, float[] Nose, float[] MouthLeft, float[] MouthRight);

/// <summary>
/// A face's enrollment measures, so a client can guide the person in front of the camera: pixels between the eyes,
/// sharpness (variance of the Laplacian on the aligned face), yaw and pitch in degrees, and the reasons the
/// tenant's limits would refuse it for enrollment (empty: it would enroll).
/// </summary>
public sealed record QualityJson(float InterEyePx, float Sharpness, float Yaw, float Pitch, IReadOnlyList<string> Problems);

/// <summary>A face; <see cref="Quality"/> is left out where the service does not measure it (compare).</summary>
public sealed record FaceJson(
    BoxJson Box, float Score, LandmarksJson Landmarks,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] QualityJson? Quality = null)
{
    public static FaceJson From(FaceInfo face)
    {
        var b = face.Box;
        var p = face.Landmarks.Select(l => new[] { l.X, l.Y }).ToArray();
        var q = face.Quality;
        return new FaceJson(new BoxJson(b.Left, b.Top, b.Right, b.Bottom, b.Right - b.Left, b.Bottom - b.Top), face.Score,
            new LandmarksJson(p[0], p[1], p[2], p[3], p[4]),
            q is null ? null : new QualityJson(q.InterEyeDistance, q.Sharpness, q.Yaw, q.Pitch, q.Problems));
    }

    public static FaceJson[] From(IEnumerable<FaceInfo> faces) => faces.Select(From).ToArray();
}

public sealed record ComparedFaces(IReadOnlyList<FaceJson> Image1, IReadOnlyList<FaceJson> Image2);

public sealed record CompareResponse(
    float? Similarity, bool IsSamePerson, float Threshold, string Message, ComparedFaces Faces, double TimingMs, string Slice);

public sealed record DetectResponse(int Count, IReadOnlyList<FaceJson> Faces, double TimingMs, string Slice);

/// <summary>One face with its embedding: JSON floats, or base64 of little-endian float32 when asked for.</summary>
public sealed record EmbeddedFaceJson(FaceJson Face, float[]? Embedding, string? EmbeddingBase64)
{
    /// <summary>Whether <c>?encoding=</c> asks for base64 (<c>base64</c>) rather than JSON floats (<c>json</c>, the default).</summary>
    public static bool IsBase64(string? encoding) => encoding switch
    {
        null or "" or "json" => false,
        "base64" => true,
        _ => throw FormFields.InvalidParameter("encoding", $"'encoding' must be json or base64; got '{encoding}'."),
    };

    public static string EncodingName(bool base64) => base64 ? "base64-float32le" : "json";

    public static EmbeddedFaceJson[] From(IEnumerable<FaceEmbedding> faces, bool base64) => faces.Select(f => new EmbeddedFaceJson(
        FaceJson.From(f.Face),
        base64 ? null : f.Vector,
        base64 ? Convert.ToBase64String(MemoryMarshal.AsBytes(f.Vector.AsSpan())) : null)).ToArray();
}

public sealed record EmbedResponse(string Model, int Dimensions, string Encoding, IReadOnlyList<EmbeddedFaceJson> Faces, double TimingMs, string Slice);

/// <summary>
/// A tenant's configuration; <see cref="SimilarityThreshold"/> is 1:1 (compare, verify), <see cref="IdentificationThreshold"/>
/// 1:N (identify); the four quality limits gate enrollment; <see cref="DetectionMode"/> is <c>fast</c> or <c>thorough</c>;
/// the three retention periods (days, off when null) erase subjects not refreshed, stored photos and audit entries.
/// </summary>
public sealed record TenantConfigJson(
    string? DisplayName, float? SimilarityThreshold, float? DetThreshold, long? MaxImagePixels, bool? StoreEnrollmentPhotos,
    float? IdentificationThreshold = null, float? MinInterEyePx = null, float? MinSharpness = null, float? MaxYaw = null, float? MaxPitch = null,
    string? DetectionMode = null, int? FaceRetentionDays = null, int? PhotoRetentionDays = null, int? AuditRetentionDays = null)
{
    public static TenantConfigJson From(TenantSettings s) =>
        new(s.DisplayName, s.SimilarityThreshold, s.DetectionThreshold, s.MaxImagePixels, s.StoreEnrollmentPhotos, s.IdentificationThreshold,
            s.MinInterEyePixels, s.MinSharpness, s.MaxYawDegrees, s.MaxPitchDegrees, FormFields.ModeName(s.DetectionMode),
            s.FaceRetentionDays, s.PhotoRetentionDays, s.AuditRetentionDays);

    public TenantSettings ToSettings() =>
        new(DisplayName, SimilarityThreshold, DetThreshold, MaxImagePixels, StoreEnrollmentPhotos ?? false, IdentificationThreshold,
            MinInterEyePx, MinSharpness, MaxYaw, MaxPitch, FormFields.ParseMode(DetectionMode, "detection_mode"),
            FaceRetentionDays, PhotoRetentionDays, AuditRetentionDays);
}

public sealed record TenantResponse(
    string Tenant,
    TenantConfigJson Config,
    IReadOnlyDictionary<string, long> Requests,
    long FacesDetected,
    long Errors,
    DateTimeOffset? LastActivity,
    LatencySummary Latency,
    SliceLocation Slice)
{
    public static TenantResponse From(TenantState s) =>
        new(s.TenantId, TenantConfigJson.From(s.Settings), s.RequestsByOperation, s.FacesDetected, s.Errors, s.LastRequestUtc, s.Latency, s.Location);
}

public sealed record SliceJson(
    string Slice, string Silo, string Device, IReadOnlyList<string> Tenants, IReadOnlyList<string> StandbyFor, InferenceStats? Stats, string? Error);

public sealed record ClusterResponse(int Silos, IReadOnlyList<SliceJson> Slices);

public sealed record IssueKeyRequest(string? Tenant, ApiKeyRole Role, string? Description);

public sealed record ApiKeyJson(string Id, string? Tenant, ApiKeyRole Role, DateTimeOffset Created, string? Description);
