using System.Globalization;
using System.Text.RegularExpressions;

namespace FaceOrleans.LoadBenchmark;

/// <summary>
/// The service's cumulative model calls by batch size (<c>faceorleans_slice_batches{slice,size}</c> on
/// <c>/metrics</c>, of one slice or summed over all), read before and after a run so the run's own mean batch size is
/// the difference: what micro-batching actually did under that load, not what it was configured to do. Name the slice
/// when several share the cluster: a restarted silo's counters start again from zero.
/// </summary>
internal sealed partial record SliceBatchMetrics(IReadOnlyDictionary<int, double> CallsBySize)
{
    public static async Task<SliceBatchMetrics?> ReadAsync(HttpClient http, string? slice)
    {
        try
        {
            var text = await http.GetStringAsync("metrics");
            var calls = new Dictionary<int, double>();
            foreach (Match match in BatchLine().Matches(text))
            {
                if (slice is not null && !match.Value.Contains($"slice=\"{slice}\"", StringComparison.Ordinal))
                {
                    continue;
                }

                var size = int.Parse(match.Groups["size"].Value, CultureInfo.InvariantCulture);
                calls[size] = calls.GetValueOrDefault(size) + double.Parse(match.Groups["count"].Value, CultureInfo.InvariantCulture);
            }

            return new SliceBatchMetrics(calls);
        }
        catch (HttpRequestException)
        {
            // A service without /metrics (another implementation, behind --url) still gets its latency table.
            return null;
        }
    }

    /// <summary>Mean inputs (images or faces) per model call between <paramref name="before"/> and this reading.</summary>
    public double? MeanBatchSince(SliceBatchMetrics? before)
    {
        if (before is null)
        {
            return null;
        }

        var calls = 0.0;
        var inputs = 0.0;
        foreach (var (size, count) in CallsBySize)
        {
            var delta = count - before.CallsBySize.GetValueOrDefault(size);
            calls += delta;
            inputs += delta * size;
        }

        return calls > 0 ? inputs / calls : null;
    }

    [GeneratedRegex("""^faceorleans_slice_batches\{[^}]*size="(?<size>\d+)"[^}]*\}\s+(?<count>[0-9.eE+]+)""", RegexOptions.Multiline)]
    private static partial Regex BatchLine();
}
