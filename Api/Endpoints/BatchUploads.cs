using FaceOrleans.Api.Hosting;
using FaceOrleans.Api.Problems;
using FaceOrleans.Contracts;
using FaceOrleans.Vision;
using Microsoft.AspNetCore.Mvc;

namespace FaceOrleans.Api.Endpoints;

/// <summary>
/// One image part of a batch request: its position, the name its problems give it (<c>images[2]</c>), and its bytes,
/// or the problem that refused it before it reached the cluster (empty, over the per-file limit).
/// </summary>
internal sealed record BatchUpload(int Index, string Name, string? FileName, byte[]? Data, ProblemDetails? Problem);

/// <summary>How the batch routes read their images and put each image's answer back in request order.</summary>
internal static class BatchUploads
{
    /// <summary>The file parts a batch takes, in the order they come: either name, or both.</summary>
    public static readonly string[] Fields = ["images", "image"];

    /// <summary>
    /// Every image part, in request order. Too many is one 413 for the whole request; an empty or oversized file is
    /// a problem for that part alone.
    /// </summary>
    public static async Task<BatchUpload[]> ReadAsync(IFormFileCollection files, ApiOptions options, CancellationToken cancellationToken)
    {
        var parts = files.Where(f => Fields.Contains(f.Name, StringComparer.Ordinal)).ToArray();
        if (parts.Length == 0)
        {
            throw FormFields.MissingField("images", "The multipart form has no file field 'images' (or 'image'); send one part per image.");
        }

        if (parts.Length > options.MaxBatchImages)
        {
            throw new ApiProblemException(StatusCodes.Status413PayloadTooLarge, "too-many-images", "Too many images",
                $"The batch has {parts.Length} images; the limit is {options.MaxBatchImages} per request.",
                new Dictionary<string, object?> { ["count"] = parts.Length, ["limit"] = options.MaxBatchImages });
        }

        var uploads = new BatchUpload[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            var name = $"{part.Name}[{i}]";
            try
            {
                uploads[i] = new BatchUpload(i, name, part.FileName, await FormFields.ReadImageAsync(part, name, options.MaxUploadBytes, cancellationToken), null);
            }
            catch (Exception ex) when (ex is RequestRejectedException or ApiProblemException)
            {
                uploads[i] = new BatchUpload(i, name, part.FileName, null, ProblemExceptionHandler.Map(ex));
            }
        }

        return uploads;
    }

    /// <summary>The parts that passed the API's own checks, as the one unit the cluster runs.</summary>
    public static ImageBatch ToBatch(IEnumerable<BatchUpload> uploads) =>
        new(uploads.Where(u => u.Data is not null).Select(u => new BatchImage(u.Name, u.Data!)).ToArray());

    /// <summary>
    /// One item per part, in request order: the cluster's answer for each part it was sent (the
    /// <paramref name="answers"/> follow <see cref="ToBatch"/>'s order), or the part's problem.
    /// </summary>
    public static BatchItemJson<TJson>[] Merge<TAnswer, TJson>(
        IReadOnlyList<BatchUpload> uploads, IReadOnlyList<TAnswer> answers, Func<TAnswer, Exception?> failureOf,
        Func<TAnswer, (int Status, TJson Result, string? Location)> success)
    {
        var next = 0;
        return uploads.Select(upload =>
        {
            var problem = upload.Problem;
            if (problem is null)
            {
                var answer = answers[next++];
                if (failureOf(answer) is { } failure)
                {
                    problem = ProblemExceptionHandler.Map(failure);
                }
                else
                {
                    var (status, result, location) = success(answer);
                    return new BatchItemJson<TJson>(upload.Index, upload.Name, upload.FileName, status, location, result, null);
                }
            }

            return new BatchItemJson<TJson>(upload.Index, upload.Name, upload.FileName, problem.Status ?? StatusCodes.Status400BadRequest, null, default, problem);
        }).ToArray();
    }
}
