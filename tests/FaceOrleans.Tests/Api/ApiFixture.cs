using FaceOrleans.Vision.Evaluation;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FaceOrleans.Contracts;
using FaceOrleans.Tests.Cluster;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;

namespace FaceOrleans.Tests.Api;

/// <summary>
/// The real API with its silo hosted in-process (the embedded default) and the real models, on the ASP.NET
/// test host. Tenants attendance and access get demo keys; "burst" may have one request in flight.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public const string AdminKey = "fo_test-bootstrap-admin-key";
    public const long MaxUploadBytes = 2_000_000;
    public const int MaxBatchImages = 6;

    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("faceorleans-api-");

    public EmbeddedApiHost Factory { get; private set; } = null!;

    public IReadOnlyDictionary<string, string> DemoKeys { get; private set; } = new Dictionary<string, string>();

    /// <summary>The served /openapi/v1.json, which every fixture client's answers are checked against.</summary>
    public OpenApiContract Contract { get; private set; } = null!;

    public string TenantLogDirectory => Path.Combine(_data.FullName, "tenant-logs");

    /// <summary>The settings the host started with: its cluster id and gateway port let a second API instance join as a client.</summary>
    public IReadOnlyDictionary<string, string?> HostSettings { get; private set; } = new Dictionary<string, string?>();

    public static IReadOnlyDictionary<string, string?> Settings(string dataDirectory) => new Dictionary<string, string?>
    {
        ["FaceOrleans:Api:AdminKeySha256"] = ApiKeyHash.Of(AdminKey),
        ["FaceOrleans:Api:MaxUploadBytes"] = MaxUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["FaceOrleans:Api:MaxBatchImages"] = MaxBatchImages.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["FaceOrleans:Api:MaxConcurrentRequests:burst"] = "1",
        ["FaceOrleans:Api:DemoKeysFile"] = Path.Combine(dataDirectory, "demo-keys.env"),
        ["FaceOrleans:Api:TenantLogDirectory"] = Path.Combine(dataDirectory, "tenant-logs"),
        ["FaceOrleans:Cluster:ClusterId"] = "api-" + Guid.NewGuid().ToString("N")[..8],
        ["FaceOrleans:Cluster:SiloPort"] = RealHosts.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["FaceOrleans:Cluster:GatewayPort"] = RealHosts.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["FaceOrleans:Cluster:StoragePath"] = Path.Combine(dataDirectory, "state.db"),
        ["FaceOrleans:Models:Directory"] = TestPaths.ModelsDirectory,
        ["FaceOrleans:Slice:IntraOpThreads"] = "1",
        ["FaceOrleans:Slice:Tenants:2"] = "burst",
        // The tests make a tenant of their own each (gallery-…, quota-…): they opt into open tenants.
        ["FaceOrleans:Placement:RefuseUnknownTenants"] = "false",
    };

    public async Task InitializeAsync()
    {
        HostSettings = Settings(_data.FullName);
        Factory = await EmbeddedApiHost.StartAsync(HostSettings);
        using var client = Factory.CreateClient();
        Contract = await OpenApiContract.LoadAsync(client);
        DemoKeys = await WaitForDemoKeysAsync(Path.Combine(_data.FullName, "demo-keys.env"));
    }

    public HttpClient Client(string? apiKey = null)
    {
        // Every answer is checked against the API's own OpenAPI document (status declared, body matching its schema).
        var client = Factory.CreateDefaultClient(new RedirectHandler(), new CookieContainerHandler(), new OpenApiContractHandler(Contract));
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    public async Task<string> IssueKeyAsync(string? tenant, ApiKeyRole role)
    {
        using var admin = Client(AdminKey);
        var response = await admin.PostAsJsonAsync("/v1/keys", new { tenant, role = role.ToString() });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("key").GetString()!;
    }

    /// <summary>A tenant of its own for one test (named <paramref name="prefix"/> and a random suffix), with a client holding its tenant-admin key.</summary>
    public async Task<(string Tenant, HttpClient Client)> NewTenantAsync(string prefix)
    {
        var tenant = prefix + "-" + Guid.NewGuid().ToString("N")[..6];
        return (tenant, Client(await IssueKeyAsync(tenant, ApiKeyRole.TenantAdmin)));
    }

    /// <summary>The body of a 2xx answer; anything else fails the test with the status and the body.</summary>
    public static async Task<JsonElement> OkJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The eyes of the first face of a detect answer, in the uploaded image's pixels.</summary>
    public static (FaceOrleans.Vision.FacePoint Left, FaceOrleans.Vision.FacePoint Right) Eyes(JsonElement detected)
    {
        var landmarks = detected.GetProperty("faces")[0].GetProperty("landmarks");
        FaceOrleans.Vision.FacePoint Point(string name) => new(landmarks.GetProperty(name)[0].GetSingle(), landmarks.GetProperty(name)[1].GetSingle());
        return (Point("left_eye"), Point("right_eye"));
    }

    public static MultipartFormDataContent Form(params (string Field, string Photo)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (field, photo) in files)
        {
            var content = new ByteArrayContent(TestPaths.Photo(photo));
            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(content, field, photo);
        }

        return form;
    }

    public static MultipartFormDataContent Form(string field, byte[] bytes, string fileName = "upload.bin")
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), field, fileName } };
        return form;
    }

    /// <summary>
    /// A shared photo as an upload under <see cref="MaxUploadBytes"/>: as it is, or, for the three larger ones, its
    /// pixels at the service's working size (<see cref="FaceOrleans.Vision.ImageLimits.MaxWorkingSide"/>, what the pipeline would
    /// scale them to anyway) re-encoded as JPEG at quality 95.
    /// </summary>
    public static byte[] Uploadable(string photo)
    {
        var bytes = TestPaths.Photo(photo);
        if (bytes.Length <= MaxUploadBytes)
        {
            return bytes;
        }

        using var image = OpenCvSharp.Cv2.ImDecode(bytes, OpenCvSharp.ImreadModes.Color);
        var scale = Math.Min(1.0, (double)FaceOrleans.Vision.ImageLimits.Default.MaxWorkingSide / Math.Max(image.Width, image.Height));
        using var resized = image.Resize(new OpenCvSharp.Size(0, 0), scale, scale, OpenCvSharp.InterpolationFlags.Area);
        return FaceOrleans.Vision.Evaluation.PhotoDegrader.EncodeJpeg(resized, 95);
    }

    /// <summary>Adds a plain form field (a threshold, a flag) to a multipart form.</summary>
    public static MultipartFormDataContent WithField(MultipartFormDataContent form, string name, string value)
    {
        form.Add(new StringContent(value), name);
        return form;
    }

    /// <summary>The demo keys the API writes once the cluster is up, as <c>./scripts/run.sh</c> shows them.</summary>
    private static async Task<IReadOnlyDictionary<string, string>> WaitForDemoKeysAsync(string file)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (await ReadDemoKeysAsync(file, 3) is { } keys)
            {
                return keys;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the API never wrote its demo keys");
    }

    /// <summary>The keys in a demo keys file once it holds <paramref name="count"/> of them; null before.</summary>
    internal static async Task<IReadOnlyDictionary<string, string>?> ReadDemoKeysAsync(string file, int count)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        var keys = (await File.ReadAllLinesAsync(file))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1]);
        return keys.Count == count ? keys : null;
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Delete(recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ApiGroup : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
