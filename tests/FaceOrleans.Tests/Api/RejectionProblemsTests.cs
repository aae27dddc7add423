using System.Text.RegularExpressions;
using FaceOrleans.Api.Problems;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Api;

/// <summary>Every rejection code has one problem type, and README's error table documents it under its status.</summary>
public sealed partial class RejectionProblemsTests
{
    [Fact]
    public void Every_rejection_code_maps_to_a_problem_type_documented_in_the_readme()
    {
        var documented = DocumentedProblemTypes();
        Assert.Contains(("no-face", 422), documented); // the table was found and read

        foreach (var code in Enum.GetValues<RejectionCode>())
        {
            var (status, type, title, _) = RejectionProblems.Describe(code);

            Assert.True(documented.Contains((type, status)), $"{code} maps to {status} {type}, which README's error table does not list under {status}");
            Assert.False(string.IsNullOrWhiteSpace(title), $"{code} has no title");
        }
    }

    [Fact]
    public void A_rejection_becomes_its_problem_with_the_field_or_image_and_the_slice_it_names()
    {
        var noFace = RejectionProblems.Create(new RequestRejectedException(RejectionCode.NoFace, "image2", "No face found in image2.") { Slice = "cpu-0" });
        var invalid = RejectionProblems.Create(new RequestRejectedException(RejectionCode.InvalidParameter, "threshold", "threshold must be between 0 and 1 (exclusive)"));

        Assert.Equal((422, "https://faceorleans.dev/problems/no-face", "No face found in image2."), (noFace.Status, noFace.Type, noFace.Detail));
        Assert.Equal("image2", noFace.Extensions["image"]);
        Assert.Equal("cpu-0", noFace.Extensions["slice"]);
        Assert.Equal((400, "https://faceorleans.dev/problems/invalid-parameter"), (invalid.Status, invalid.Type));
        Assert.Equal("threshold", invalid.Extensions["field"]);
        Assert.False(invalid.Extensions.ContainsKey("slice"));
    }

    /// <summary>(type, status) for every row of the table under README's "Errors." paragraph.</summary>
    private static HashSet<(string Type, int Status)> DocumentedProblemTypes()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var section = readme[readme.IndexOf("**Errors.**", StringComparison.Ordinal)..];
        var rows = section.Split('\n').SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|'));
        var documented = new HashSet<(string, int)>();
        foreach (var row in rows)
        {
            var cells = row.Split('|', StringSplitOptions.TrimEntries);
            if (int.TryParse(cells[1], out var status))
            {
                foreach (Match type in ProblemType().Matches(cells[2]))
                {
                    documented.Add((type.Groups[1].Value, status));
                }
            }
        }

        return documented;
    }

    [GeneratedRegex("`([a-z-]+)`")]
    private static partial Regex ProblemType();
}
