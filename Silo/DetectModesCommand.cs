using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using FaceOrleans.Vision;
using FaceOrleans.Vision.Evaluation;
using OpenCvSharp;

namespace FaceOrleans.Silo;

/// <summary>One image in both detection modes: faces found and the median time of a whole detect call (decode and measures included).</summary>
internal sealed record DetectModesRow(string Image, int Width, int Height, int? Placed, int FastFaces, int ThoroughFaces, int ThoroughInCells, double FastMs, double ThoroughMs)
{
    public double Ratio => ThoroughMs / FastMs;
}

internal sealed record DetectModesReport(int Repeats, IReadOnlyList<DetectModesRow> Rows)
{
    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"median of {Repeats} detect calls per mode, fast and thorough alternating; 'placed' is a mosaic's known face count, 'in cells' how many of its cells thorough found a face in");
        text.AppendLine(c, $"{"image",-28} {"size",11} {"placed",6} {"fast",5} {"thorough",8} {"in cells",8} {"fast ms",9} {"thorough ms",11} {"ratio",6}");
        foreach (var r in Rows)
        {
            text.AppendLine(c, $"{r.Image,-28} {$"{r.Width}x{r.Height}",11} {(r.Placed is { } p ? p.ToString(c) : "-"),6} {r.FastFaces,5} {r.ThoroughFaces,8} {(r.Placed is null ? "-" : r.ThoroughInCells.ToString(c)),8} {r.FastMs,9:0.0} {r.ThoroughMs,11:0.0} {r.Ratio,6:0.00}");
        }

        return text.ToString().TrimEnd();
    }
}

/// <summary>
/// <c>detect-modes --images DIR [--photos a.jpg,b.jpg] [--crowd-eyes 24,16] [--repeats 5]</c>: the cost and the yield of
/// <see cref="DetectionMode.Thorough"/> against <see cref="DetectionMode.Fast"/> on the named photos and on
/// <see cref="CrowdMosaic"/>s of every single-face photo in the folder (a known number of small faces).
/// </summary>
internal static class DetectModesCommand
{
    public static Command Create()
    {
        var shared = new PipelineCommandOptions();
        var images = PipelineCommandOptions.ImagesOption();
        var photos = new Option<string>("--photos")
        {
            Description = "Photos in the folder to time as they are (comma-separated)",
            DefaultValueFactory = _ => "couple.jpg,selfie-many-people.jpg,img47.jpg,img11_reflection.jpg",
        };
        var crowdEyes = new Option<string>("--crowd-eyes")
        {
            Description = "Inter-eye distances (px) of the crowd mosaics to build from the folder's single-face photos (comma-separated; empty for none)",
            DefaultValueFactory = _ => "20,14,10",
        };
        var repeats = new Option<int>("--repeats") { Description = "Timed calls per image and mode", DefaultValueFactory = _ => 5 };
        var command = new Command("detect-modes", "Compare fast and thorough detection: faces found and time per call")
        {
            images, photos, crowdEyes, repeats,
        };
        shared.AddTo(command);
        command.SetAction(parse => PipelineCommandOptions.ReportingErrorsAsync(async () =>
        {
            var folder = PipelineCommandOptions.ExistingFolder(parse, images);
            var calls = parse.GetValue(repeats);
            if (calls < 1)
            {
                throw new FormatException("--repeats must be at least 1.");
            }

            var eyes = parse.GetRequiredValue(crowdEyes).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(e => double.Parse(e, CultureInfo.InvariantCulture)).ToArray();
            using var sessions = shared.Sessions(parse, "cpu");
            var pipeline = shared.Pipeline(parse, sessions);
            var rows = new List<DetectModesRow>();
            foreach (var photo in parse.GetRequiredValue(photos).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var bytes = await File.ReadAllBytesAsync(Path.Combine(folder.FullName, photo));
                rows.Add(await MeasureAsync(pipeline, photo, bytes, cells: null, calls));
            }

            foreach (var interEye in eyes)
            {
                using var crowd = await CrowdAsync(pipeline, folder.FullName, interEye);
                rows.Add(await MeasureAsync(pipeline, string.Create(CultureInfo.InvariantCulture, $"crowd mosaic, eyes {interEye} px"), crowd.Image.ImEncode(".png"), crowd.Cells, calls));
            }

            shared.Print(parse, new DetectModesReport(calls, rows), r => r.ToTable());
            return 0;
        }));
        return command;
    }

    /// <summary>A mosaic of every photo in the folder in which one pass finds exactly one face, eight to a row.</summary>
    public static async Task<CrowdMosaic> CrowdAsync(FacePipeline pipeline, string folder, double interEye)
    {
        var portraits = new List<(Mat Bgr, FacePoint LeftEye, FacePoint RightEye)>();
        try
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*.jpg").Order(StringComparer.Ordinal))
            {
                var bytes = await File.ReadAllBytesAsync(file);
                var faces = (await pipeline.DetectAsync([bytes], pipeline.ModelDefaults))[0];
                if (faces.Count == 1)
                {
                    portraits.Add((Cv2.ImDecode(bytes, ImreadModes.Color), faces[0].Landmarks[0], faces[0].Landmarks[1]));
                }
            }

            return CrowdMosaic.Build(portraits, columns: 8, interEye, spacing: 3);
        }
        finally
        {
            portraits.ForEach(p => p.Bgr.Dispose());
        }
    }

    private static async Task<DetectModesRow> MeasureAsync(FacePipeline pipeline, string name, byte[] bytes, IReadOnlyList<Rect>? cells, int calls)
    {
        var fast = pipeline.ModelDefaults;
        var thorough = fast with { Detection = DetectionMode.Thorough };
        // One untimed call each: the first call of a shape pays ONNX Runtime's allocations.
        var fastFaces = (await pipeline.DetectAsync([bytes], fast))[0];
        var thoroughFaces = (await pipeline.DetectAsync([bytes], thorough))[0];
        var (fastMs, thoroughMs) = (new List<double>(), new List<double>());
        for (var i = 0; i < calls; i++)
        {
            fastMs.Add(await TimeAsync(() => pipeline.DetectAsync([bytes], fast)));
            thoroughMs.Add(await TimeAsync(() => pipeline.DetectAsync([bytes], thorough)));
        }

        using var header = Cv2.ImDecode(bytes, ImreadModes.Color);
        var inCells = cells is null ? 0 : cells.Count(cell => thoroughFaces.Any(f => cell.Contains(new Point((f.Box.Left + f.Box.Right) / 2, (f.Box.Top + f.Box.Bottom) / 2))));
        return new DetectModesRow(name, header.Width, header.Height, cells?.Count, fastFaces.Count, thoroughFaces.Count, inCells, Median(fastMs), Median(thoroughMs));
    }

    private static async Task<double> TimeAsync(Func<Task> call)
    {
        var started = Stopwatch.GetTimestamp();
        await call();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }
}
