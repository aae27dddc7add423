using System.Globalization;

namespace FaceOrleans.Tests.Api;

/// <summary>
/// The API executable's start-up check of its bootstrap admin key, as the cluster compose starts it
/// (<c>RequireAdminKey</c>, the sha256 from <c>${FACEORLEANS_ADMIN_KEY_SHA256:-}</c>): a secret that was not exported
/// stops the API at once with one line naming the setting, while <c>compose down</c> needs no secret at all.
/// </summary>
public sealed class ApiAdminKeyCheckTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("faceorleans-admin-key-");

    [Theory]
    [InlineData("", "FaceOrleans:Api:AdminKeySha256 is not set")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "the sha256 of an empty key")]
    [InlineData("my-admin-key", "must be a sha256 in hex (64 digits), not the key itself")]
    public async Task A_missing_or_unusable_admin_key_stops_the_api_naming_the_setting(string sha256, string expected)
    {
        var result = await TestProcess.RunAsync("dotnet",
        [
            TestPaths.ApiAssembly,
            "--urls", $"http://127.0.0.1:{RealHostsPort()}",
            "--FaceOrleans:Api:RequireAdminKey=true",
            $"--FaceOrleans:Api:AdminKeySha256={sha256}",
            "--FaceOrleans:Api:DemoTenants=",
            $"--FaceOrleans:Cluster:StoragePath={Path.Combine(_folder.FullName, "state.db")}",
            $"--FaceOrleans:Models:Directory={TestPaths.ModelsDirectory}",
        ], _folder.FullName, TimeSpan.FromMinutes(2));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: the API cannot start:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Delete(recursive: true);

    private static string RealHostsPort() => Cluster.RealHosts.FreePort().ToString(CultureInfo.InvariantCulture);
}
