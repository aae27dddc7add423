using System.Text.RegularExpressions;

namespace FaceOrleans.Tests.Cluster;

/// <summary>
/// The InferenceGrain is the slice's one door: no other grain, filter or host code of the Grains project reaches
/// the slice's pipeline or scheduler (a tenant asks its InferenceGrain for the model defaults and recognizer).
/// </summary>
public sealed partial class InferenceGrainIsTheSliceDoorTests
{
    private static readonly string[] Doors = ["InferenceGrain.cs", "LocalSlice.cs"];

    [Fact]
    public void Only_the_inference_grain_and_the_slice_itself_touch_the_slice_pipeline_or_scheduler()
    {
        var files = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "Grains"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToArray();

        // The check is real: the door itself uses them.
        var door = File.ReadAllText(files.Single(f => Path.GetFileName(f) == "InferenceGrain.cs"));
        Assert.Matches(SliceInternals(), door);
        var offenders = files.Where(f => !Doors.Contains(Path.GetFileName(f)) && SliceInternals().IsMatch(File.ReadAllText(f)))
            .Select(Path.GetFileName).ToArray();
        Assert.True(offenders.Length == 0, $"the slice's pipeline or scheduler used in: {string.Join(", ", offenders)}");
    }

    [GeneratedRegex(@"\.(Pipeline|Scheduler)\b|\bPipelineFor\(")]
    private static partial Regex SliceInternals();
}
