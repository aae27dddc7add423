using System.Globalization;
using FaceOrleans.Api.Problems;
using FaceOrleans.Vision;

namespace FaceOrleans.Api.Endpoints;

internal static class FormFields
{
    /// <summary>The file's bytes, or a 400/413 problem naming the field.</summary>
    public static async Task<byte[]> ReadImageAsync(IFormFile? file, string field, long maxBytes, CancellationToken cancellationToken)
    {
        if (file is null)
        {
            throw MissingField(field, $"The multipart form has no file field '{field}'.");
        }

        if (file.Length == 0)
        {
            throw new RequestRejectedException(RejectionCode.EmptyImage, field, $"The file in '{field}' is empty.");
        }

        if (file.Length > maxBytes)
        {
            throw new ApiProblemException(FrameworkProblems.UploadTooLarge(
                $"The file in '{field}' is {file.Length} bytes; the limit is {maxBytes} bytes.", maxBytes, field));
        }

        // Filled whole by ReadExactlyAsync below, so the runtime need not zero it first (most uploads land on the large-object heap).
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)file.Length));
        await using var stream = file.OpenReadStream();
        await stream.ReadExactlyAsync(bytes, cancellationToken);
        return bytes;
    }

    public static float? ParseThreshold(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && float.IsFinite(parsed)
            ? parsed
            : throw InvalidParameter(field, $"'{field}' must be a number between 0 and 1; got '{value}'.");
    }

    public static int? ParseInt(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? null
        : int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed
        : throw InvalidParameter(field, $"'{field}' must be a whole number; got '{value}'.");

    public static bool ParseFlag(string? value, string field) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "false" or "0" => false,
        "true" or "1" => true,
        _ => throw InvalidParameter(field, $"'{field}' must be true or false; got '{value}'."),
    };

    /// <summary><c>fast</c> or <c>thorough</c> (any case); null when not given.</summary>
    public static DetectionMode? ParseMode(string? value, string field) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "fast" => DetectionMode.Fast,
        "thorough" => DetectionMode.Thorough,
        _ => throw InvalidParameter(field, $"'{field}' must be fast or thorough; got '{value}'."),
    };

    public static RequestRejectedException InvalidParameter(string field, string detail) => new(RejectionCode.InvalidParameter, field, detail);

    public static RequestRejectedException MissingField(string field, string detail) => new(RejectionCode.MissingField, field, detail);
}
