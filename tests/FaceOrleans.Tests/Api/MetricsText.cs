using System.Globalization;

namespace FaceOrleans.Tests.Api;

/// <summary>Reads one series from a Prometheus text scrape.</summary>
internal static class MetricsText
{
    /// <summary>The value of <paramref name="series"/> (name and labels exactly as scraped); 0 when it is not there yet.</summary>
    public static double Value(string scrape, string series)
    {
        var line = scrape.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    public static string QuotaRejections(string tenant, string limit) => $"faceorleans_quota_rejections_total{{tenant=\"{tenant}\",limit=\"{limit}\"}}";
}
