using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace FaceOrleans.Api.Hosting;

/// <summary>
/// Reads a multipart upload whose length the client declared into one pooled buffer before the endpoint's form
/// binding parses it, and gives the binding that buffer as a seekable body. ASP.NET Core's form reader
/// then hands out each file as a slice of it (<c>FormFile</c> over the body at the section's offset) instead of
/// buffering every file again: with uploads kept in memory up to <see cref="ApiOptions.MaxUploadBytes"/> (above 1 MB),
/// its <c>FileBufferingReadStream</c> grows a <c>MemoryStream</c> by doubling, about three bytes allocated and copied
/// on the large-object heap per uploaded byte, and those heaps' collections were a visible share of a compare's CPU
/// (docs/load/third-pass.md). A body without a declared length, over the route's limit, or of another
/// media type goes to the endpoint as it came, and its limits and problems stay those of the form reader.
/// </summary>
/// <remarks>
/// Placed after authentication and the rate limiter, so only a caller with a key, inside its tenant's concurrency,
/// has a body held in memory, and no larger than the route's own limit (Kestrel's, or the batch routes'). The body is
/// read through whatever <see cref="HttpRequest.Body"/> is then, so <see cref="Problems.RequestBodyDeadline"/> still
/// bounds how long it may take, and a short or aborted body fails as the form reader's read would have.
/// </remarks>
internal static class WholeBodyUploads
{
    public static IApplicationBuilder UseWholeBodyUploads(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        if (context.GetEndpoint() is null || request.ContentLength is not { } length || length <= 0
            || length > Math.Min(context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? long.MaxValue, Array.MaxLength)
            || !IsMultipartForm(request.ContentType))
        {
            await next(context);
            return;
        }

        // Pooled: the endpoint copies each file it keeps into an array of its own (FormFields.ReadImageAsync), so the
        // body is garbage once the endpoint returns, and a fresh one per request would be large-object heap churn.
        var body = request.Body;
        var size = (int)length;
        var bytes = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            await body.ReadExactlyAsync(bytes.AsMemory(0, size), context.RequestAborted);
            request.Body = new MemoryStream(bytes, 0, size, writable: false, publiclyVisible: false);
            await next(context);
        }
        finally
        {
            request.Body = body;
            // Photos are biometric data: none stays behind in a shared pool for the next renter to find.
            bytes.AsSpan(0, size).Clear();
            ArrayPool<byte>.Shared.Return(bytes);
        }
    });

    private static bool IsMultipartForm(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);
}
