using System.CommandLine;
using FaceOrleans.Vision;

namespace FaceOrleans.Silo;

/// <summary>
/// <c>check-provider --device cuda:0 --images DIR [--reference cpu] [--json]</c>: runs the whole pipeline on every
/// photo on two execution providers and checks they agree (same faces, IoU ≥ 0.9; embeddings, cosine ≥ 0.999).
/// Exit 0 when they agree, 3 when they do not, 1 or 2 when the check could not run.
/// </summary>
internal static class ProviderCheckCommand
{
    public const int Disagrees = 3;

    private static readonly string[] PhotoExtensions = [".jpg", ".jpeg", ".png"];

    public static Command Create()
    {
        var shared = new PipelineCommandOptions();
        var device = new Option<string>("--device") { Description = "Device to check: cuda, cuda:N (or cpu)", Required = true };
        var reference = new Option<string>("--reference") { Description = "Device to check against", DefaultValueFactory = _ => "cpu" };
        var images = new Option<DirectoryInfo>("--images") { Description = "Folder of photos (.jpg, .jpeg, .png); every one is checked", Required = true };
        var minIou = new Option<double>("--min-iou") { Description = "Least box overlap of a face found by both", DefaultValueFactory = _ => 0.9 };
        var minCosine = new Option<double>("--min-cosine") { Description = "Least cosine similarity of a face's two embeddings", DefaultValueFactory = _ => 0.999 };

        var command = new Command("check-provider", "Check that an execution provider detects and embeds every photo as the CPU does")
        {
            device, reference, images, minIou, minCosine,
        };
        shared.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var folder = parse.GetRequiredValue(images);
            if (!folder.Exists)
            {
                await Console.Error.WriteLineAsync($"error: images folder '{folder.FullName}' does not exist.");
                return 2;
            }

            var photos = folder.EnumerateFiles().Where(f => PhotoExtensions.Contains(f.Extension.ToLowerInvariant())).OrderBy(f => f.Name, StringComparer.Ordinal).ToArray();
            if (photos.Length == 0)
            {
                await Console.Error.WriteLineAsync($"error: no .jpg, .jpeg or .png photos in '{folder.FullName}'.");
                return 2;
            }

            return await PipelineCommandOptions.ReportingErrorsAsync(async () =>
            {
                var report = await CheckAsync(shared, parse, parse.GetRequiredValue(device), parse.GetRequiredValue(reference), photos,
                    parse.GetValue(minIou), parse.GetValue(minCosine), cancellationToken);
                shared.Print(parse, report, r => r.ToTable());
                return report.Passed ? 0 : Disagrees;
            });
        });
        return command;
    }

    private static async Task<AgreementReport> CheckAsync(
        PipelineCommandOptions shared, ParseResult parse, string device, string reference, IReadOnlyList<FileInfo> photos,
        double minIou, double minCosine, CancellationToken cancellationToken)
    {
        using var deviceSessions = shared.Sessions(parse, device);
        using var referenceSessions = shared.Sessions(parse, reference);
        var onDevice = shared.Pipeline(parse, deviceSessions);
        var onReference = shared.Pipeline(parse, referenceSessions);

        var perPhoto = new List<PhotoAgreement>();
        foreach (var photo in photos)
        {
            byte[][] image = [await File.ReadAllBytesAsync(photo.FullName, cancellationToken)];
            var expected = (await onReference.EmbedAsync(image, onReference.ModelDefaults, cancellationToken))[0];
            var actual = (await onDevice.EmbedAsync(image, onDevice.ModelDefaults, cancellationToken))[0];
            perPhoto.Add(ProviderAgreement.Compare(photo.Name, expected, actual, minIou, minCosine));
        }

        return new AgreementReport(
            device,
            onDevice.Detector.ExecutionProvider,
            reference,
            onReference.Detector.ExecutionProvider,
            onDevice.Detector.ModelName,
            onDevice.Recognizer.ModelName,
            minIou,
            minCosine,
            perPhoto.Count,
            perPhoto.Sum(p => p.ReferenceFaces),
            perPhoto.Min(p => p.MinIou),
            perPhoto.Min(p => p.MinCosine),
            perPhoto.Where(p => !p.Passed).Select(p => p.Photo).ToArray(),
            perPhoto);
    }
}
