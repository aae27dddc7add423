using System.CommandLine;
using System.Globalization;
using System.Text;
using FaceOrleans.Vision;
using FaceOrleans.Vision.Evaluation;
using OpenCvSharp;

namespace FaceOrleans.Silo;

/// <summary>One photo in one capture condition: its most prominent face's measures, as an upload of that copy gets them.</summary>
internal sealed record QualityRow(string Photo, string Condition, FaceQuality? Quality, IReadOnlyList<string> Problems);

/// <summary>One condition over all photos: the spread of each measure and how many faces the limits refuse, by reason.</summary>
internal sealed record QualitySummary(
    string Condition, int Photos, int WithFace, double MinInterEye, double MedianInterEye, double MinSharpness, double P10Sharpness,
    double MedianSharpness, double MaxAbsYaw, double MaxAbsPitch, int Refused, IReadOnlyDictionary<string, int> RefusedBy);

internal sealed record QualityReport(QualityLimits Limits, IReadOnlyList<QualitySummary> Conditions, IReadOnlyList<QualityRow> Rows)
{
    public string ToTable(bool perPhoto)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"limits: inter-eye >= {Limits.MinInterEyeDistance} px, sharpness >= {Limits.MinSharpness}, |yaw| <= {Limits.MaxYaw}°, |pitch| <= {Limits.MaxPitch}°; the most prominent face of each photo");
        text.AppendLine(c, $"{"condition",-12} {"photos",6} {"faces",6} {"eye min",8} {"eye med",8} {"sharp min",9} {"sharp p10",9} {"sharp med",9} {"|yaw| max",9} {"|pitch| max",11} {"refused",8}  by reason");
        foreach (var s in Conditions)
        {
            var reasons = string.Join(", ", s.RefusedBy.Select(r => $"{r.Key} {r.Value}"));
            text.AppendLine(c, $"{s.Condition,-12} {s.Photos,6} {s.WithFace,6} {s.MinInterEye,8:0.0} {s.MedianInterEye,8:0.0} {s.MinSharpness,9:0.0} {s.P10Sharpness,9:0.0} {s.MedianSharpness,9:0.0} {s.MaxAbsYaw,9:0.0} {s.MaxAbsPitch,11:0.0} {s.Refused,8}  {reasons}");
        }

        if (perPhoto)
        {
            text.AppendLine(c, $"{"photo",-24} {"condition",-12} {"eye px",7} {"sharp",8} {"yaw",6} {"pitch",6}  problems");
            foreach (var r in Rows)
            {
                text.AppendLine(r.Quality is { } q
                    ? string.Create(c, $"{r.Photo,-24} {r.Condition,-12} {q.InterEyeDistance,7:0.0} {q.Sharpness,8:0.0} {q.Yaw,6:0.0} {q.Pitch,6:0.0}  {string.Join(", ", r.Problems)}")
                    : string.Create(c, $"{r.Photo,-24} {r.Condition,-12} no face"));
            }
        }

        return text.ToString().TrimEnd();
    }
}

/// <summary>
/// <c>quality --images DIR [--conditions LIST] [--per-photo]</c>: measures the enrollment quality of the most
/// prominent face of every photo, clean and in degraded copies (<see cref="PhotoDegrader"/>), through the pipeline
/// as an upload of that copy would be measured, and counts what the default limits refuse. This is how the
/// defaults in <see cref="QualityLimits.Default"/> were chosen.
/// </summary>
internal static class QualityCommand
{
    public static Command Create()
    {
        var shared = new PipelineCommandOptions();
        var images = PipelineCommandOptions.ImagesOption();
        var conditions = new Option<string>("--conditions")
        {
            Description = "Capture conditions to degrade each photo in (comma-separated, or 'all')",
            DefaultValueFactory = _ => "all",
        };
        var perPhoto = new Option<bool>("--per-photo") { Description = "Print every photo's measures too" };
        var command = new Command("quality", "Measure enrollment quality (face size, sharpness, pose) on photos and degraded copies")
        {
            images, conditions, perPhoto,
        };
        shared.AddTo(command);
        command.SetAction(parse => PipelineCommandOptions.ReportingErrorsAsync(async () =>
        {
            var folder = PipelineCommandOptions.ExistingFolder(parse, images);
            using var sessions = shared.Sessions(parse, "cpu");
            var pipeline = shared.Pipeline(parse, sessions);
            var report = await MeasureAsync(pipeline, folder.FullName, CaptureCondition.Parse(parse.GetRequiredValue(conditions)), QualityLimits.Default);
            shared.Print(parse, report, r => r.ToTable(parse.GetValue(perPhoto)));
            return 0;
        }));
        return command;
    }

    public static async Task<QualityReport> MeasureAsync(FacePipeline pipeline, string folder, IReadOnlyList<CaptureCondition> conditions, QualityLimits limits)
    {
        var photos = Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            .Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        var rows = new List<QualityRow>();
        foreach (var photo in photos)
        {
            using var probes = ConditionEvaluator.Probe(pipeline, folder, photo!, conditions);
            foreach (var (condition, bgr, _) in probes.Copies)
            {
                // The copy as an upload: the clean photo's own bytes, a degraded copy losslessly encoded.
                var bytes = condition.IsClean ? await File.ReadAllBytesAsync(Path.Combine(folder, photo!)) : bgr.ImEncode(".png");
                var faces = (await pipeline.DetectAsync([bytes], pipeline.ModelDefaults))[0];
                var quality = DetectedFace.MostProminent(faces)?.Quality;
                rows.Add(new QualityRow(photo!, condition.Name, quality, quality is null ? [] : limits.Problems(quality)));
            }
        }

        var summaries = rows.GroupBy(r => r.Condition).Select(g => Summarise(g.Key, g.ToArray())).ToArray();
        return new QualityReport(limits, summaries, rows);
    }

    private static QualitySummary Summarise(string condition, QualityRow[] rows)
    {
        var measured = rows.Where(r => r.Quality is not null).Select(r => r.Quality!).ToArray();
        double Quantile(IEnumerable<float> values, double q)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length == 0 ? double.NaN : sorted[(int)Math.Floor(q * (sorted.Length - 1))];
        }

        var refused = rows.Where(r => r.Problems.Count > 0).ToArray();
        return new QualitySummary(
            condition, rows.Length, measured.Length,
            Quantile(measured.Select(q => q.InterEyeDistance), 0), Quantile(measured.Select(q => q.InterEyeDistance), 0.5),
            Quantile(measured.Select(q => q.Sharpness), 0), Quantile(measured.Select(q => q.Sharpness), 0.1), Quantile(measured.Select(q => q.Sharpness), 0.5),
            measured.Length == 0 ? double.NaN : measured.Max(q => Math.Abs(q.Yaw)),
            measured.Length == 0 ? double.NaN : measured.Max(q => Math.Abs(q.Pitch)),
            refused.Length,
            refused.SelectMany(r => r.Problems).GroupBy(p => p).OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Count()));
    }
}
