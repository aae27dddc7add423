namespace FaceOrleans.Grains;

/// <summary>A tenant's run-time configuration; null values fall back to the model's defaults.</summary>
[GenerateSerializer, Immutable]
public sealed record TenantSettings(
    [property: Id(0)] string? DisplayName = null,
    [property: Id(1)] float? SimilarityThreshold = null,
    [property: Id(2)] float? DetectionThreshold = null,
    [property: Id(3)] long? MaxImagePixels = null,
    [property: Id(4)] bool StoreEnrollmentPhotos = false)
{
    public static readonly TenantSettings Default = new();

    /// <summary>Every problem with these settings, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (SimilarityThreshold is { } similarity && (similarity is <= 0 or >= 1 || float.IsNaN(similarity)))
        {
            problems.Add("similarity_threshold must be between 0 and 1 (exclusive)");
        }

        if (DetectionThreshold is { } detection && (detection is <= 0 or >= 1 || float.IsNaN(detection)))
        {
            problems.Add("det_threshold must be between 0 and 1 (exclusive)");
        }

        if (MaxImagePixels is { } pixels && pixels is < 1024 or > 200_000_000)
        {
            problems.Add("max_image_pixels must be between 1024 and 200000000");
        }

        if (DisplayName is { Length: > 200 })
        {
            problems.Add("display_name must be at most 200 characters");
        }

        return problems;
    }
}

[GenerateSerializer, Immutable]
public sealed record LatencySummary(
    [property: Id(0)] long Count,
    [property: Id(1)] double MeanMilliseconds,
    [property: Id(2)] double P50Milliseconds,
    [property: Id(3)] double P95Milliseconds,
    [property: Id(4)] double MaxMilliseconds);

/// <summary>Where a grain runs: its silo and the slice that silo owns.</summary>
[GenerateSerializer, Immutable]
public sealed record SliceLocation(
    [property: Id(0)] string SliceId,
    [property: Id(1)] string Silo,
    [property: Id(2)] string Device,
    [property: Id(3)] bool IsStandby);

[GenerateSerializer, Immutable]
public sealed record TenantState(
    [property: Id(0)] string TenantId,
    [property: Id(1)] TenantSettings Settings,
    [property: Id(2)] IReadOnlyDictionary<string, long> RequestsByOperation,
    [property: Id(3)] long FacesDetected,
    [property: Id(4)] long Errors,
    [property: Id(5)] DateTimeOffset? LastRequestUtc,
    [property: Id(6)] LatencySummary Latency,
    [property: Id(7)] SliceLocation Location);

/// <summary>A slice's model calls: the queue behind its single execution slot and what has run.</summary>
[GenerateSerializer, Immutable]
public sealed record InferenceStats(
    [property: Id(0)] SliceLocation Location,
    [property: Id(1)] string ExecutionProvider,
    [property: Id(2)] int Queued,
    [property: Id(3)] int Running,
    [property: Id(4)] long Completed,
    [property: Id(5)] long Failed,
    [property: Id(6)] int MaxConcurrencyObserved,
    [property: Id(7)] double MeanRunMilliseconds,
    [property: Id(8)] double MeanBatchSize);

/// <summary>A slice as its silo advertises it.</summary>
[GenerateSerializer, Immutable]
public sealed record SliceInfo(
    [property: Id(0)] string SliceId,
    [property: Id(1)] string Silo,
    [property: Id(2)] string Device,
    [property: Id(3)] IReadOnlyList<string> Tenants,
    [property: Id(4)] IReadOnlyList<string> StandbyFor);
