using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using FaceOrleans.Tests.Api;

namespace FaceOrleans.Tests.Cluster;

/// <summary>One request of the load: when it started and ended (seconds on the test's clock), and how it was answered.</summary>
/// <param name="Status">The HTTP status; <see cref="TenantLoad.ConnectionError"/> when no answer came (the API was down).</param>
internal sealed record LoadOutcome(string Tenant, string Kind, double Start, double End, int Status, string? Problem, string? RetryAfter, string? FaceId)
{
    public double Seconds => End - Start;

    public bool Succeeded => Status is >= 200 and < 300;

    public override string ToString() =>
        $"{Tenant} {Kind} t={Start:0.00}..{End:0.00}s ({Seconds:0.00} s) -> {(Status == TenantLoad.ConnectionError ? "connection error" : Status)} {Problem}";
}

/// <summary>
/// A closed-loop client per tenant, as the issue describes: for each tenant one loop of 1:1 compares and one of
/// enrollments, each sending its next request when the last is answered, with a short pause. Concurrency stays
/// modest (two requests per tenant at a time) so that on a shared machine a request's time shows whether its tenant
/// was touched by a fault, not how busy the CPU is.
/// </summary>
internal sealed class TenantLoad : IAsyncDisposable
{
    public const int ConnectionError = 0;

    public const string Subject = "fault-subject";

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(150);

    private readonly ConcurrentQueue<LoadOutcome> _outcomes = new();
    private readonly ConcurrentQueue<string> _offContract = new();
    private readonly OpenApiContract _contract;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock;
    private readonly List<Task> _loops = [];
    private readonly byte[] _photo1 = TestPaths.Photo("img1.jpg");
    private readonly byte[] _photo2 = TestPaths.Photo("img2.jpg");

    public TenantLoad(Uri api, IReadOnlyDictionary<string, string> keysByTenant, Stopwatch clock, OpenApiContract contract)
    {
        _clock = clock;
        _contract = contract;
        foreach (var (tenant, key) in keysByTenant)
        {
            _loops.Add(Task.Run(() => LoopAsync(api, tenant, key, "compare")));
            _loops.Add(Task.Run(() => LoopAsync(api, tenant, key, "enroll")));
        }
    }

    public IReadOnlyList<LoadOutcome> Outcomes => _outcomes.ToArray();

    /// <summary>Answers that break the served OpenAPI document (an undeclared status, a body off its schema), kept rather
    /// than thrown so that the load runs on through the faults and the test reports them with everything else.</summary>
    public IReadOnlyList<string> OffContract => _offContract.ToArray();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }

    private async Task LoopAsync(Uri api, string tenant, string key, string kind)
    {
        // A fresh connection per request, so a request after an API restart does not ride a dead keep-alive connection.
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { BaseAddress = api, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        while (!_stop.IsCancellationRequested)
        {
            var start = _clock.Elapsed.TotalSeconds;
            LoadOutcome outcome;
            try
            {
                using var response = await http.PostAsync(new Uri(kind == "compare" ? $"/v1/{tenant}/compare" : $"/v1/{tenant}/subjects/{Subject}/faces", UriKind.Relative),
                    kind == "compare" ? Form(("image1", _photo1), ("image2", _photo2)) : Form(("image", _photo1)), CancellationToken.None);
                if (await _contract.ViolationAsync(response.RequestMessage!, response) is { } violation)
                {
                    _offContract.Enqueue(violation);
                }

                var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                var json = body.StartsWith('{') ? JsonDocument.Parse(body).RootElement : default;
                outcome = new LoadOutcome(tenant, kind, start, _clock.Elapsed.TotalSeconds, (int)response.StatusCode,
                    json.ValueKind == JsonValueKind.Object && json.TryGetProperty("type", out var type) ? type.GetString() : null,
                    response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    response.StatusCode == HttpStatusCode.Created ? json.GetProperty("face_id").GetString() : null);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // TaskCanceledException here is the 30 s timeout: a hang, which the test reports by its duration.
                outcome = new LoadOutcome(tenant, kind, start, _clock.Elapsed.TotalSeconds, ConnectionError, ex.GetType().Name, null, null);
            }

            _outcomes.Enqueue(outcome);
            try
            {
                await Task.Delay(Pause, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static MultipartFormDataContent Form(params (string Name, byte[] Bytes)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, bytes) in files)
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(content, name, name + ".jpg");
        }

        return form;
    }
}
