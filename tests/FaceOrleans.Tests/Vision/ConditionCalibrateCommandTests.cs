using System.Text.Json;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Vision;

public sealed class ConditionCalibrateCommandTests
{
    [Fact]
    public async Task Calibrate_with_conditions_reports_every_condition_and_a_chosen_threshold_as_json()
    {
        // The pairs.csv rows among seven photos of three people: a quick run of the same command.
        string[] photos = ["img1.jpg", "img10.jpg", "img11.jpg", "img22.jpg", "img23.jpg", "img29.jpg", "img30.jpg"];
        var rows = LabelledPair.ReadCsv(TestPaths.PairsCsv).Where(p => photos.Contains(p.ImageA) && photos.Contains(p.ImageB));
        var csv = Path.Combine(Path.GetTempPath(), $"faceorleans-conditions-{Guid.NewGuid():N}.csv");
        await File.WriteAllLinesAsync(csv, rows.Select(p => $"{p.ImageA},{p.ImageB},{(p.SamePerson ? 1 : 0)}").Prepend("image_a,image_b,same_person"));
        try
        {
            var (exitCode, stdout, stderr) = await TestProcess.RunSiloAsync(["calibrate", "--pairs", csv, "--images", TestPaths.FacesDirectory,
                "--conditions", "grayscale,small", "--json"]);

            Assert.True(exitCode == 0, stderr);
            using var report = JsonDocument.Parse(stdout);
            var root = report.RootElement;
            Assert.Equal("face_embed_512d", root.GetProperty("recognizer").GetString());
            Assert.Equal(7, root.GetProperty("photos").GetInt32());
            Assert.Equal(3, root.GetProperty("people").GetInt32());
            var rowsAt = root.GetProperty("at_threshold").EnumerateArray().ToArray();
            Assert.Equal(["clean", "grayscale", "small"], rowsAt.Select(r => r.GetProperty("condition").GetString()));
            // 3 + 1 + 1 same-person photo pairs; 21 pairs in all. Degraded conditions count both orders.
            Assert.Equal((5, 16), (rowsAt[0].GetProperty("same_pairs").GetInt32(), rowsAt[0].GetProperty("different_pairs").GetInt32()));
            Assert.Equal((10, 32), (rowsAt[1].GetProperty("same_pairs").GetInt32(), rowsAt[1].GetProperty("different_pairs").GetInt32()));
            Assert.All(rowsAt, r => Assert.InRange(r.GetProperty("accuracy").GetDouble(), 0.9, 1.0));
            var chosen = root.GetProperty("chosen_threshold").GetDouble();
            Assert.InRange(chosen, 0.0, 1.0);
            Assert.InRange(root.GetProperty("suggested_default").GetDouble(), chosen, chosen + 0.01);
            Assert.Equal(0.01, root.GetProperty("far").GetDouble());
        }
        finally
        {
            File.Delete(csv);
        }
    }

    [Fact]
    public async Task Calibrate_names_an_unknown_condition()
    {
        var (exitCode, _, stderr) = await TestProcess.RunSiloAsync(["calibrate", "--pairs", TestPaths.PairsCsv, "--images", TestPaths.FacesDirectory,
            "--conditions", "fog"]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("'fog'", stderr, StringComparison.Ordinal);
    }
}
