using System.Globalization;
using FaceOrleans.Api.Problems;

namespace FaceOrleans.Api.Endpoints;

internal static class FormFields
{
    /// <summary>The file's bytes, or a 400/413 problem naming the field.</summary>
    public static async Task<byte[]> ReadImageAsync(IFormFile? file, string field, long maxBytes, CancellationToken cancellationToken)
    {
        if (file is null)
        {
            throw new ApiProblemException(StatusCodes.Status400BadRequest, "missing-field", "Missing field",
                $"The multipart form has no file field '{field}'.", new Dictionary<string, object?> { ["field"] = field });
        }

        if (file.Length == 0)
        {
            throw new ApiProblemException(StatusCodes.Status400BadRequest, "empty-file", "Empty file",
                $"The file in '{field}' is empty.", new Dictionary<string, object?> { ["field"] = field });
        }

        if (file.Length > maxBytes)
        {
            throw new ApiProblemException(StatusCodes.Status413PayloadTooLarge, "upload-too-large", "Upload too large",
                $"The file in '{field}' is {file.Length} bytes; the limit is {maxBytes} bytes.",
                new Dictionary<string, object?> { ["field"] = field, ["limit_bytes"] = maxBytes });
        }

        var bytes = new byte[file.Length];
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
            : throw new ApiProblemException(StatusCodes.Status400BadRequest, "invalid-parameter", "Invalid parameter",
                $"'{field}' must be a number between 0 and 1; got '{value}'.", new Dictionary<string, object?> { ["field"] = field });
    }
}
