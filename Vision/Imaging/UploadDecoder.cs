using System.Runtime.ExceptionServices;

namespace FaceOrleans.Vision;

/// <summary>
/// Decodes a request's uploads, side by side while cores are free. Decoding is a compare's largest stage and one JPEG
/// decodes on one core, so a lone request with two images uses two cores (docs/load.md, "Load"); once the pipeline's
/// other work fills the cores, a request decodes its images one after the other on its own thread: at four callers on
/// two cores that is one thread-pool work item fewer and 1-4 ms less CPU per compare (docs/load/seventh-pass.md).
/// </summary>
internal static class UploadDecoder
{
    /// <summary>
    /// Decodes an upload, naming it in any error so the caller knows which field was wrong; counted as CPU work on
    /// <paramref name="cpuWork"/> (<see cref="CpuWork.InProcess"/> unless a test gives its own).
    /// </summary>
    public static DecodedImage Decode(byte[] data, string name, ImageLimits limits, ConcurrencyGauge? cpuWork = null)
    {
        try
        {
            using var working = (cpuWork ?? CpuWork.InProcess).Enter();
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
    public static ImageResult<DecodedImage>[] DecodeEach(
        IReadOnlyList<byte[]> images, IReadOnlyList<string> names, ImageLimits limits, ConcurrencyGauge? cpuWork = null)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(names.Count, images.Count, nameof(names));
        cpuWork ??= CpuWork.InProcess;
        var results = new ImageResult<DecodedImage>[images.Count];
        var decoders = DecodersFor(images.Count, cpuWork.Current, Environment.ProcessorCount);
        try
        {
            if (decoders == 1)
            {
                for (var i = 0; i < images.Count; i++)
                {
                    DecodeOne(i);
                }
            }
            else
            {
                Parallel.For(0, images.Count, new ParallelOptions { MaxDegreeOfParallelism = decoders }, DecodeOne);
            }

            return results;
        }
        catch (Exception ex)
        {
            Disposables.DisposeAll(results.Select(r => r?.Value));
            if (ex is AggregateException parallel)
            {
                // Parallel.For wraps a decoder's failure; the caller sees it as the one-by-one path throws it.
                ExceptionDispatchInfo.Throw(parallel.InnerExceptions[0]);
            }

            throw;
        }

        void DecodeOne(int i)
        {
            try
            {
                results[i] = new ImageResult<DecodedImage>(Decode(images[i], names[i], limits, cpuWork), null);
            }
            catch (RequestRejectedException rejection)
            {
                results[i] = new ImageResult<DecodedImage>(null, rejection);
            }
        }
    }

    /// <summary>
    /// How many threads decode a request's <paramref name="images"/>: one per core that the pipeline's
    /// <paramref name="busy"/> work leaves free, at least the caller's own and at most one per image.
    /// </summary>
    internal static int DecodersFor(int images, int busy, int cores) => Math.Clamp(cores - busy, 1, Math.Max(1, images));
}
