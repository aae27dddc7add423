using FaceOrleans.Vision;
using Microsoft.AspNetCore.Mvc;

namespace FaceOrleans.Api.Problems;

/// <summary>
/// The one place a <see cref="RejectionCode"/> becomes a problem type. The switch names every code and has no
/// default arm, so a new code without a problem type does not compile (CS8509 is an error here); a test checks
/// that every type it returns is documented in README's error table.
/// </summary>
public static class RejectionProblems
{
    /// <summary>The extension that names what a rejection concerns: a form field or setting, or an image.</summary>
    public const string FieldExtension = "field";

    public const string ImageExtension = "image";

    public static ProblemDetails Create(RequestRejectedException rejection)
    {
        var (status, type, title, namedBy) = Describe(rejection.Code);
        var extensions = new Dictionary<string, object?>();
        if (rejection.Field is { } field)
        {
            extensions[namedBy] = field;
        }

        if (rejection.Slice is { } slice)
        {
            extensions["slice"] = slice;
        }

        if (rejection.Reasons.Count > 0)
        {
            extensions["reasons"] = rejection.Reasons;
        }

        return ApiProblems.Create(status, type, title, rejection.Message, extensions);
    }

    /// <summary>Status, problem type, title, and the extension that carries <see cref="RequestRejectedException.Field"/>.</summary>
#pragma warning disable CS8524 // Only named codes exist: every RejectionCode is created from its names, never from a number.
    public static (int Status, string Type, string Title, string NamedBy) Describe(RejectionCode code) => code switch
#pragma warning restore CS8524
    {
        RejectionCode.MissingField => (StatusCodes.Status400BadRequest, "missing-field", "Missing field", FieldExtension),
        RejectionCode.InvalidParameter => (StatusCodes.Status400BadRequest, "invalid-parameter", "Invalid parameter", FieldExtension),
        RejectionCode.EmptyImage => (StatusCodes.Status400BadRequest, "empty-file", "Empty file", FieldExtension),
        RejectionCode.NotAnImage => (StatusCodes.Status415UnsupportedMediaType, "not-an-image", "Not an image", ImageExtension),
        RejectionCode.CorruptImage => (StatusCodes.Status415UnsupportedMediaType, "corrupt-image", "Image cannot be decoded", ImageExtension),
        RejectionCode.ImageTooLarge => (StatusCodes.Status413PayloadTooLarge, "image-too-large", "Image too large", ImageExtension),
        RejectionCode.ImageTooSmall => (StatusCodes.Status422UnprocessableEntity, "image-too-small", "Image too small", ImageExtension),
        RejectionCode.NoFace => (StatusCodes.Status422UnprocessableEntity, "no-face", "No face found", ImageExtension),
        RejectionCode.SeveralFaces => (StatusCodes.Status422UnprocessableEntity, "several-faces", "Several faces", ImageExtension),
        RejectionCode.LowQuality => (StatusCodes.Status422UnprocessableEntity, "low-quality", "Face not good enough to enroll", ImageExtension),
        RejectionCode.UnknownSubject => (StatusCodes.Status404NotFound, "unknown-subject", "Unknown subject", FieldExtension),
        RejectionCode.SubjectExists => (StatusCodes.Status409Conflict, "subject-exists", "Subject exists", FieldExtension),
        RejectionCode.NoEnrolledFace => (StatusCodes.Status422UnprocessableEntity, "no-enrolled-face", "Nothing to compare with", FieldExtension),
        RejectionCode.UntrustedCalibration => (StatusCodes.Status422UnprocessableEntity, "calibration-untrusted", "Calibration too weak to apply", FieldExtension),
        RejectionCode.ReshardInProgress => (StatusCodes.Status409Conflict, "reshard-in-progress", "Re-shard in progress", FieldExtension),
        RejectionCode.GalleryModelMismatch => (StatusCodes.Status409Conflict, "gallery-model-mismatch", "Gallery enrolled with another recognizer", FieldExtension),
        RejectionCode.EnrollmentPhotosMissing => (StatusCodes.Status409Conflict, "enrollment-photos-missing", "No stored photos to re-embed from", FieldExtension),
        RejectionCode.GalleryNotEmpty => (StatusCodes.Status409Conflict, "gallery-not-empty", "Gallery not empty", FieldExtension),
        RejectionCode.ArchiveUnreadable => (StatusCodes.Status400BadRequest, "archive-unreadable", "Archive cannot be opened", FieldExtension),
    };
}
