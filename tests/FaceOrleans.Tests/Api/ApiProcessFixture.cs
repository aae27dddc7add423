using System.Globalization;
using System.Net;
using FaceOrleans.Tests.Cluster;

namespace FaceOrleans.Tests.Api;

/// <summary>
/// The embedded default (the API with its silo), started as an operator starts it: <c>dotnet FaceOrleans.Silo.dll embedded</c>
/// from a folder that is not its own, listening on a real socket (a browser needs one) on a free port, with its
/// state and demo keys in a temporary folder. Only <c>attendance</c> gets a demo key: the file's list of two is
/// replaced on the command line by a one-item comma-separated list. Uploads are held to 3 MB a file and batches to
/// 8 MB, so Kestrel's body limits can be tested with the shared photos.
/// </summary>
public sealed class ApiProcessFixture : IAsyncLifetime
{
    public const long MaxUploadBytes = 3_000_000;
    public const long MaxBatchUploadBytes = 8_000_000;

    /// <summary>How long a request body may take to arrive here: short, so a stalled body's 408 can be waited for.</summary>
    public static readonly TimeSpan RequestBodyTimeout = TimeSpan.FromSeconds(20);

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("faceorleans-api-process-");

    public ServerProcess Api { get; private set; } = null!;

    public Uri BaseAddress { get; } = new($"http://127.0.0.1:{RealHosts.FreePort()}");

    public IReadOnlyDictionary<string, string> DemoKeys { get; private set; } = new Dictionary<string, string>();

    public string AttendanceKey => DemoKeys["ATTENDANCE_KEY"];

    public string AdminKey => DemoKeys["ADMIN_KEY"];

    public int SiloPort { get; } = RealHosts.FreePort();

    public int GatewayPort { get; } = RealHosts.FreePort();

    /// <summary>Everything the process wrote until it was ready: a healthy start.</summary>
    public string StartupOutput { get; private set; } = string.Empty;

    /// <summary>The served /openapi/v1.json; once loaded, every answer a fixture client receives is checked against it.</summary>
    public OpenApiContract? Contract { get; private set; }

    public async Task InitializeAsync()
    {
        Api = ServerProcess.Start(TestPaths.SiloAssembly,
        [
            TestPaths.EmbeddedCommand,
            "--urls", BaseAddress.ToString(),
            "--FaceOrleans:Api:DemoTenants=attendance",
            $"--FaceOrleans:Api:MaxUploadBytes={MaxUploadBytes}",
            $"--FaceOrleans:Api:MaxBatchUploadBytes={MaxBatchUploadBytes}",
            $"--FaceOrleans:Api:DemoKeysFile={Path.Combine(_folder.FullName, "demo-keys.env")}",
            $"--FaceOrleans:Cluster:ClusterId=console-{Guid.NewGuid():N}",
            $"--FaceOrleans:Api:RequestBodyTimeout={RequestBodyTimeout}",
            $"--FaceOrleans:Cluster:SiloPort={SiloPort.ToString(CultureInfo.InvariantCulture)}",
            $"--FaceOrleans:Cluster:GatewayPort={GatewayPort.ToString(CultureInfo.InvariantCulture)}",
            $"--FaceOrleans:Cluster:StoragePath={Path.Combine(_folder.FullName, "state.db")}",
            $"--FaceOrleans:Models:Directory={TestPaths.ModelsDirectory}",
            "--FaceOrleans:Slice:IntraOpThreads=1",
        ], workingDirectory: _folder.FullName);

        // One key for the one demo tenant, plus the admin key.
        DemoKeys = await Api.WaitForAsync(() => ApiFixture.ReadDemoKeysAsync(Path.Combine(_folder.FullName, "demo-keys.env"), 2),
            TimeSpan.FromMinutes(3), "the API never wrote its demo keys");
        using var client = Client();
        await Api.WaitForAsync(async () => await client.GetAsync(new Uri("/health/ready", UriKind.Relative)) is { StatusCode: HttpStatusCode.OK } ready ? ready : null,
            TimeSpan.FromMinutes(2), "the API never became ready");
        StartupOutput = Api.Output;
        Contract = await OpenApiContract.LoadAsync(client);
    }

    public HttpClient Client(string? apiKey = null)
    {
        var client = new HttpClient(OpenApiContractHandler.OverSockets(Contract)) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        _folder.Delete(recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ApiProcessGroup : ICollectionFixture<ApiProcessFixture>
{
    public const string Name = "api-process";
}
