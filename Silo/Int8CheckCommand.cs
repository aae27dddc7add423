using System.CommandLine;
using FaceOrleans.Vision;
using FaceOrleans.Vision.Evaluation;

namespace FaceOrleans.Silo;

/// <summary>
/// <c>check-int8 --images DIR --pairs FILE.csv [--detector NAME] [--recognizer NAME] [--json]</c>: runs the fp32 models
/// and their int8 derivations over every photo and pair and reports where they part (<see cref="PrecisionAgreement"/>).
/// Exit 0 when int8 holds fp32's accuracy by all three criteria, 3 when it does not.
/// </summary>
internal static class Int8CheckCommand
{
    public static Command Create()
    {
        var shared = new PipelineCommandOptions();
        var images = PipelineCommandOptions.ImagesOption();
        var pairs = new Option<FileInfo>("--pairs") { Description = "CSV with the header image_a,image_b,same_person", Required = true };
        var models = new Option<string>("--int8")
        {
            Description = "Which models run in int8 on the checked side: both, detector or recognizer (the others stay fp32), to tell whose quantization loses what",
            DefaultValueFactory = _ => "both",
        };
        models.AcceptOnlyFromAmong("both", "detector", "recognizer");
        var command = new Command("check-int8", "Check that the int8 models find the same faces, embeddings and pair decisions as the fp32 ones") { images, pairs, models };
        shared.AddTo(command);
        command.SetAction(parse => PipelineCommandOptions.ReportingErrorsAsync(async () =>
        {
            var folder = PipelineCommandOptions.ExistingFolder(parse, images);
            var pairsFile = parse.GetRequiredValue(pairs);
            if (!pairsFile.Exists)
            {
                throw new FileNotFoundException($"The pairs file '{pairsFile.FullName}' does not exist.");
            }

            using var sessions = shared.Sessions(parse, "cpu");
            var (detector, recognizer) = shared.ModelNames(parse, sessions);
            var manifest = sessions.Catalog.Manifest;
            var fp32 = FacePipeline.Create(sessions, detector, recognizer);
            var which = parse.GetRequiredValue(models);
            var int8 = FacePipeline.Create(sessions,
                manifest.At(detector, which is "both" or "detector" ? ModelPrecision.Int8 : ModelPrecision.Fp32),
                manifest.At(recognizer, which is "both" or "recognizer" ? ModelPrecision.Int8 : ModelPrecision.Fp32));
            var report = await PrecisionAgreement.MeasureAsync(
                fp32, int8, Int8Calibration.Photos(folder.FullName), LabelledPair.ReadCsv(pairsFile.FullName), folder.FullName);
            shared.Print(parse, report, r => r.ToTable());
            return report.HoldsAccuracy ? 0 : ProviderCheckCommand.Disagrees;
        }));
        return command;
    }
}
