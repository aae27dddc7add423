using System.CommandLine;
using FaceOrleans.Vision.Evaluation;

namespace FaceOrleans.Silo;

/// <summary>
/// <c>calibrate-int8 --images DIR [--out models/quantization]</c>: measures the activation ranges of the fp32 detector
/// and recognizer on the photos through the real pipeline and writes them as <c>NAME.json</c>, from which
/// <c>models/provision.py</c> derives the int8 models (docs/int8.md). Run it again only when the fp32 models or the
/// calibration photos change; it changes the int8 files' sha256, which the manifest must then record.
/// </summary>
internal static class Int8CalibrateCommand
{
    public static Command Create()
    {
        var shared = new PipelineCommandOptions();
        var images = PipelineCommandOptions.ImagesOption();
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the NAME.json ranges (default: models/quantization)" };
        var command = new Command("calibrate-int8", "Measure the activation ranges the int8 models are quantized with") { images, output };
        shared.AddTo(command);
        command.SetAction(parse => PipelineCommandOptions.ReportingErrorsAsync(async () =>
        {
            var photos = PipelineCommandOptions.ExistingFolder(parse, images);
            using var sessions = shared.Sessions(parse, "cpu");
            var (detector, recognizer) = shared.ModelNames(parse, sessions);
            var folder = parse.GetValue(output)?.FullName ?? Path.Combine(sessions.Catalog.ModelsDirectory, "quantization");
            Directory.CreateDirectory(folder);
            var (detectorRanges, recognizerRanges) = await Int8Calibration.CalibrateAsync(sessions, detector, recognizer, photos.FullName);
            foreach (var ranges in new[] { detectorRanges, recognizerRanges })
            {
                var path = Path.Combine(folder, ranges.Model + ".json");
                await File.WriteAllTextAsync(path, ranges.ToJson());
                Console.WriteLine($"{ranges.Model}: {ranges.Tensors.Count} tensors over {ranges.Inputs} inputs -> {path}");
            }

            return 0;
        }));
        return command;
    }
}
