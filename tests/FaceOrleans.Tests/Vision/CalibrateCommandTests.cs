using System.Text.Json;

namespace FaceOrleans.Tests.Vision;

public sealed class CalibrateCommandTests
{
    [Fact]
    public async Task Calibrate_command_reports_the_pair_statistics_as_json()
    {
        var (exitCode, stdout, stderr) = await TestProcess.RunSiloAsync(["calibrate", "--pairs", TestPaths.PairsCsv, "--images", TestPaths.FacesDirectory,
            "--recognizer", "mobilefacenet_128d", "--json"]);

        Assert.True(exitCode == 0, stderr);
        using var report = JsonDocument.Parse(stdout);
        var root = report.RootElement;
        Assert.Equal("mobilefacenet_128d", root.GetProperty("recognizer").GetString());
        Assert.Equal(520, root.GetProperty("pairs").GetInt32());
        Assert.Equal(0, root.GetProperty("pairs_without_face").GetInt32());
        Assert.True(root.GetProperty("accuracy_at_threshold").GetDouble() >= 0.98);
        Assert.True(root.GetProperty("roc_auc").GetDouble() >= 0.99);
        Assert.InRange(root.GetProperty("tar_at_far1e3").GetDouble(), 0.5, 1.0);
        Assert.InRange(root.GetProperty("best_threshold").GetDouble(), 0.0, 1.0);
    }

    [Fact]
    public async Task Calibrate_command_fails_clearly_on_a_missing_pairs_file()
    {
        var (exitCode, _, stderr) = await TestProcess.RunSiloAsync(["calibrate", "--pairs", "/nonexistent/pairs.csv", "--images", TestPaths.FacesDirectory]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("pairs file", stderr, StringComparison.Ordinal);
    }
}
