using System.Globalization;
using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;
using FaceOrleans.Vision;

namespace FaceOrleans.Api.Endpoints;

/// <summary>What <c>POST /v1/{tenant}/calibration/apply</c> takes: which threshold, and either its value or a FAR to find it at.</summary>
public sealed record CalibrationApplyRequest(string? Target, float? Threshold, double? Far);

/// <summary>The threshold now set, where it came from, the tenant's whole configuration, and the calibration it came from (when a FAR was given).</summary>
public sealed record CalibrationAppliedResponse(string Target, float Threshold, string From, TenantSettings Config, GalleryCalibrationResult? Calibration);

internal static class CalibrationEndpoints
{
    public const double DefaultFar = 1e-3;

    public static void MapCalibrationEndpoints(this IEndpointRouteBuilder app)
    {
        var calibration = app.MapGroup("/v1/{tenant}/calibration").WithTags("Calibration");

        calibration.MapGet("/", async (string tenant, string? far, IClusterClient cluster, CancellationToken cancellationToken) =>
                TypedResults.Ok(await cluster.GetGrain<IGalleryGrain>(tenant).Calibrate(ParseFar(far) ?? DefaultFar, cancellationToken)))
            .WithName("GetCalibration").ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Genuine and impostor scores of the tenant's enrolled faces: their spread, ROC AUC, the threshold at ?far= (1e-3), " +
                "the accuracy-maximising threshold, what the current thresholds do, and warnings when too few to trust (tenant-admin or admin).")
            .RequireTenantAccess(adminOnly: true);

        calibration.MapPost("/apply", async (string tenant, CalibrationApplyRequest? request, IClusterClient cluster, CancellationToken cancellationToken) =>
            {
                var target = request?.Target?.Trim().ToLowerInvariant() switch
                {
                    "similarity" => ThresholdTarget.Similarity,
                    "identification" => ThresholdTarget.Identification,
                    null or "" => throw FormFields.MissingField("target", "Say which threshold to set: \"target\": \"similarity\" (1:1: compare, verify) or \"identification\" (1:N: identify)."),
                    var other => throw FormFields.InvalidParameter("target", $"'target' must be similarity or identification; got '{other}'."),
                };
                if (request!.Threshold.HasValue == request.Far.HasValue)
                {
                    throw FormFields.InvalidParameter("threshold", "Give either \"threshold\" (the value to set) or \"far\" (set the gallery's threshold at that false accept rate), not both.");
                }

                GalleryCalibrationResult? calibrated = null;
                var threshold = request.Threshold ?? 0;
                if (request.Far is { } far)
                {
                    calibrated = await cluster.GetGrain<IGalleryGrain>(tenant).Calibrate(far, cancellationToken);
                    if (calibrated.Warnings.Count > 0 || calibrated.ThresholdAtFar is null)
                    {
                        throw new RequestRejectedException(RejectionCode.UntrustedCalibration, "far",
                            string.Create(CultureInfo.InvariantCulture, $"The gallery is too small to set a threshold at FAR {far:G3} from it; nothing was changed. ") +
                            string.Join(" ", calibrated.Warnings.DefaultIfEmpty("It needs enrolled faces of at least two subjects, one of them with two faces.")))
                        {
                            Reasons = calibrated.Warnings.Count > 0 ? calibrated.Warnings : ["no genuine or no impostor pairs"],
                        };
                    }

                    threshold = calibrated.ThresholdAtFar.Threshold;
                }

                var state = await cluster.GetGrain<ITenantGrain>(tenant).SetThreshold(target, threshold);
                return TypedResults.Ok(new CalibrationAppliedResponse(
                    target == ThresholdTarget.Identification ? "identification" : "similarity", threshold, calibrated is null ? "threshold" : "far",
                    state.Settings, calibrated));
            })
            .WithName("ApplyCalibration").ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Set the tenant's 1:1 (target=similarity) or 1:N (target=identification) threshold, to a value or to the gallery's " +
                "threshold at a false accept rate; refused when the gallery is too small to trust (tenant-admin or admin).")
            .RequireTenantAccess(adminOnly: true).Audited("tenant.threshold", AuditTrail.BodyOf<CalibrationApplyRequest>);
    }

    private static double? ParseFar(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var far) && double.IsFinite(far) ? far
        : throw FormFields.InvalidParameter("far", $"'far' must be a number between 0 and 1; got '{value}'.");
}
