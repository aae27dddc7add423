using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using FaceOrleans.Vision;

namespace FaceOrleans.LoadBenchmark;

/// <summary>
/// One compare service over HTTP as every command of this tool calls it: the pair's two photos posted as multipart
/// <c>image1</c> and <c>image2</c> (as <c>curl -F</c> does) to one URL, the answer read whole. The same code and handler
/// settings for FaceOrleans and for a second service, so a ratio between them measures the services, not the clients.
/// Counts failures by status and the answers' decisions against the pairs' labels.
/// </summary>
internal sealed class CompareClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _compare;
    private readonly Workload _workload;
    private readonly ConcurrentDictionary<int, int> _failures = new();

    /// <param name="service">The service's base URL; <c>/metrics</c> is read from there.</param>
    /// <param name="comparePath">The compare route under it, e.g. <c>v1/attendance/compare</c> or <c>compare</c>.</param>
    /// <param name="key">Sent as <c>X-Api-Key</c> when given.</param>
    public CompareClient(Uri service, string comparePath, string? key, int maxConcurrency, Workload workload)
    {
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = maxConcurrency * 2 })
        {
            BaseAddress = service,
            Timeout = TimeSpan.FromMinutes(2),
        };
        if (key is not null)
        {
            _http.DefaultRequestHeaders.Add("X-Api-Key", key);
        }

        _compare = new Uri(service, comparePath);
        _workload = workload;
    }

    public HttpClient Http => _http;

    public Uri CompareUrl => _compare;

    public DecisionTally Decisions { get; } = new();

    public async Task<bool> CompareAsync(LabelledPair pair)
    {
        using var form = new MultipartFormDataContent
        {
            { Jpeg(_workload.Photo(pair.ImageA)), "image1", pair.ImageA },
            { Jpeg(_workload.Photo(pair.ImageB)), "image2", pair.ImageB },
        };
        using var response = await _http.PostAsync(_compare, form);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
        {
            _failures.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            return false;
        }

        // Both services answer {"is_same_person": bool, ...}; a body without it counts as answered wrongly.
        using var json = JsonDocument.Parse(body);
        var same = json.RootElement.TryGetProperty("is_same_person", out var value) && value.ValueKind == JsonValueKind.True;
        Decisions.Record(same == pair.SamePerson);
        return true;
    }

    /// <summary>" (503: 12, 500: 1)" for the failures since the last call, and forgets them; empty when none.</summary>
    public string TakeFailures()
    {
        var taken = _failures.ToArray();
        _failures.Clear();
        return taken.Length == 0 ? "" : $" ({string.Join(", ", taken.OrderBy(f => f.Key).Select(f => $"{f.Key}: {f.Value}"))})";
    }

    public void Dispose() => _http.Dispose();

    private static ByteArrayContent Jpeg(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        return content;
    }
}

/// <summary>Answers whose decision (same person or not) equals the pair's label, since the last <see cref="Take"/>.</summary>
internal sealed class DecisionTally
{
    private int _correct;
    private int _answered;

    public void Record(bool correct)
    {
        Interlocked.Increment(ref _answered);
        if (correct)
        {
            Interlocked.Increment(ref _correct);
        }
    }

    /// <summary>"519/520": right over answered, and forgets them.</summary>
    public string Take() => $"{Interlocked.Exchange(ref _correct, 0)}/{Interlocked.Exchange(ref _answered, 0)}";
}
