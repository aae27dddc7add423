using System.Runtime.ExceptionServices;

namespace FaceOrleans.Vision;

/// <summary>
/// Decodes a request's uploads side by side. Decoding is a compare's largest stage and one JPEG decodes on one core,
/// so a request with two images uses two cores even when it is the only one on its slice (docs/load.md, "Load").
/// </summary>
internal static class UploadDecoder
{
    /// <summary>Decodes an upload, naming it in any error so the caller knows which field was wrong.</summary>
    public static DecodedImage Decode(byte[] data, string name, ImageLimits limits)
    {
        try
        {
            return ImageDecoder.Decode(data, limits);
        }
        catch (RequestRejectedException ex)
        {
            throw new RequestRejectedException(ex.Code, name, $"{name}: {ex.Message}");
        }
    }

    /// <summary>The first image's rejection, in the order given; null when every image decoded.</summary>
    public static RequestRejectedException? FirstRejection(IEnumerable<ImageResult<DecodedImage>> decoded) =>
        decoded.FirstOrDefault(d => d.Rejection is not null)?.Rejection;

    /// <summary>
    /// Each upload decoded, or the rejection naming it, in the order given. Any other failure is thrown, with the
    /// images that did decode already freed.
    /// </summary>
    public static ImageResult<DecodedImage>[] DecodeEach(IReadOnlyList<byte[]> images, IReadOnlyList<string> names, ImageLimits limits)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(names.Count, images.Count, nameof(names));
        var results = new ImageResult<DecodedImage>[images.Count];
        try
        {
            Parallel.For(0, images.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            {
                try
                {
                    results[i] = new ImageResult<DecodedImage>(Decode(images[i], names[i], limits), null);
                }
                catch (RequestRejectedException rejection)
                {
                    results[i] = new ImageResult<DecodedImage>(null, rejection);
                }
            });
            return results;
        }
        catch (AggregateException ex)
        {
            Disposables.DisposeAll(results.Select(r => r?.Value));
            ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
            throw;
        }
    }
}
