using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using FaceOrleans.Vision;
using Microsoft.ML.OnnxRuntime;

namespace FaceOrleans.Silo;

/// <summary>One model at one batch size: latency of a whole ONNX Runtime call, input copy and output copy included.</summary>
internal sealed record LatencyRow(string Model, string Role, int Batch, int Iterations, double P50Ms, double P90Ms, double MaxMs, double MeanMs, double ImagesPerSecond);

internal sealed record LatencyReport(string Device, string Provider, int Warmup, IReadOnlyList<LatencyRow> Rows, IReadOnlyList<OperatorRow> Operators)
{
    public string ToTable()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{Device} ({Provider}), {Warmup} warm-up calls per row, then timed calls");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"model",-30} {"batch",5} {"calls",6} {"p50 ms",9} {"p90 ms",9} {"max ms",9} {"mean ms",9} {"images/s",10}");
        foreach (var row in Rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{row.Model,-30} {row.Batch,5} {row.Iterations,6} {row.P50Ms,9:0.000} {row.P90Ms,9:0.000} {row.MaxMs,9:0.000} {row.MeanMs,9:0.000} {row.ImagesPerSecond,10:0.0}");
        }

        if (Operators.Count > 0)
        {
            text.AppendLine().AppendLine("ONNX Runtime's profiler, batch 1, one intra-op thread, by operator of the optimised graph:");
            text.AppendLine(OperatorProfile.ToTable(Operators));
        }

        return text.ToString().TrimEnd();
    }
}

/// <summary>
/// <c>model-latency --device cuda:0 [--batches 1,8,32] [--iterations 100]</c>: times the detector and the recognizer
/// alone, one ONNX Runtime call per batch, as the service calls them (host tensors in and out). The inputs are
/// seeded random values in the models' input range: these networks do the same work whatever the pixels, and
/// random values avoid the shortcuts hardware can take on zeros.
/// </summary>
internal static class ModelLatencyCommand
{
    public static Command Create()
    {
        var shared = new PipelineCommandOptions();
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var batches = new Option<int[]>("--batches") { Description = "Batch sizes, e.g. --batches 1 8 32", DefaultValueFactory = _ => [1, 8, 32], AllowMultipleArgumentsPerToken = true };
        var iterations = new Option<int>("--iterations") { Description = "Timed calls per model and batch size", DefaultValueFactory = _ => 100 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed calls before them", DefaultValueFactory = _ => 10 };
        var operators = new Option<bool>("--operators") { Description = "Also profile each model operator by operator (CPU only; ONNX Runtime's profiler, --iterations calls)" };

        var command = new Command("model-latency", "Time the detector and the recognizer alone at several batch sizes")
        {
            device, batches, iterations, warmup, operators,
        };
        shared.AddTo(command);
        command.SetAction(parse => PipelineCommandOptions.ReportingErrorsAsync(() =>
        {
            var sizes = parse.GetRequiredValue(batches);
            var calls = parse.GetValue(iterations);
            var untimed = parse.GetValue(warmup);
            if (sizes.Length == 0 || sizes.Any(b => b < 1) || calls < 1 || untimed < 0)
            {
                throw new FormatException("--batches need positive sizes, --iterations at least 1 and --warmup at least 0.");
            }

            if (parse.GetValue(operators) && parse.GetRequiredValue(device) != "cpu")
            {
                throw new FormatException("--operators profiles the CPU provider; use it with --device cpu.");
            }

            using var sessions = shared.Sessions(parse, parse.GetRequiredValue(device));
            // On the CPU a model with a CPU form is timed twice, the form and the model file, row after row.
            using var modelFiles = sessions.Options.WantsCuda ? null : shared.Sessions(parse, "cpu", useCpuForms: false);
            var (detector, recognizer) = shared.ModelNames(parse, sessions);
            var models = new List<(string Label, ModelSession Session)>();
            try
            {
                foreach (var name in new[] { detector, recognizer })
                {
                    var session = sessions.CreateSession(name);
                    var both = modelFiles is not null && session.Model.CpuForm is not null;
                    models.Add((both ? $"{name} (CPU form)" : name, session));
                    if (both)
                    {
                        models.Add(($"{name} (model file)", modelFiles!.CreateSession(name)));
                    }
                }

                var rows = models.SelectMany(model => sizes.Select(batch => Measure(model.Label, model.Session, batch, calls, untimed))).ToArray();
                var byOperator = parse.GetValue(operators)
                    ? models.SelectMany(model => OperatorProfile.Measure(model.Label, model.Session, RandomInput(model.Session.Model, batch: 1), calls)).ToArray()
                    : [];
                shared.Print(parse, new LatencyReport(sessions.Options.Device, models[0].Session.ExecutionProvider, untimed, rows, byOperator), r => r.ToTable());
                return Task.FromResult(0);
            }
            finally
            {
                models.ForEach(model => model.Session.Dispose());
            }
        }));
        return command;
    }

    private static LatencyRow Measure(string label, ModelSession model, int batch, int iterations, int warmup)
    {
        var input = model.Model.Input;
        var shape = new long[] { batch, 3, input.Height, input.Width };
        var values = RandomInput(model.Model, batch);
        using var tensor = OrtValue.CreateTensorValueFromMemory(values, shape);
        var outputs = model.OutputNames;

        for (var i = 0; i < warmup; i++)
        {
            using var _ = model.Run(tensor, outputs);
        }

        var milliseconds = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using (model.Run(tensor, outputs))
            {
                milliseconds[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }

        Array.Sort(milliseconds);
        var p50 = Percentile(milliseconds, 0.50);
        return new LatencyRow(label, model.Model.Role, batch, iterations, p50, Percentile(milliseconds, 0.90),
            milliseconds[^1], milliseconds.Average(), batch * 1000.0 / p50);
    }

    /// <summary><paramref name="batch"/> images of pixels drawn uniformly from 0..255, normalised as the manifest says for this model.</summary>
    private static float[] RandomInput(ModelSpec model, int batch)
    {
        var random = new Random(20261125);
        var input = model.Input;
        var plane = input.Width * input.Height;
        var values = new float[batch * 3 * plane];
        for (var i = 0; i < values.Length; i++)
        {
            var channel = i / plane % 3;
            values[i] = ((random.Next(256) * input.Scale) - input.Mean[channel]) / input.Std[channel];
        }

        return values;
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, double fraction) =>
        sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];
}
