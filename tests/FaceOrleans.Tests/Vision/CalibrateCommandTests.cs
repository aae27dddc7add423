using System.Diagnostics;
using System.Text.Json;

namespace FaceOrleans.Tests.Vision;

public sealed class CalibrateCommandTests
{
    [Fact]
    public void Calibrate_command_reports_the_pair_statistics_as_json()
    {
        var (exitCode, stdout, stderr) = RunSilo("calibrate", "--pairs", TestPaths.PairsCsv, "--images", TestPaths.FacesDirectory,
            "--recognizer", "mobilefacenet_128d", "--json");

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
    public void Calibrate_command_fails_clearly_on_a_missing_pairs_file()
    {
        var (exitCode, _, stderr) = RunSilo("calibrate", "--pairs", "/nonexistent/pairs.csv", "--images", TestPaths.FacesDirectory);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("pairs file", stderr, StringComparison.Ordinal);
    }

    private static (int ExitCode, string Stdout, string Stderr) RunSilo(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestPaths.RepoRoot,
        };
        start.ArgumentList.Add(TestPaths.SiloAssembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "calibrate did not finish");
        return (process.ExitCode, stdout, stderr.Result);
    }
}
