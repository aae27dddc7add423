using System.Globalization;
using System.Text;
using System.Text.Json;
using FaceOrleans.Vision;
using Microsoft.ML.OnnxRuntime;

namespace FaceOrleans.Silo;

/// <summary>One operator type of one model: the time its kernels took per call, their share of the call, and how many ran.</summary>
internal sealed record OperatorRow(string Model, string Operator, double MsPerCall, double Share, int NodesPerCall);

/// <summary>
/// Where a model's time goes operator by operator on the CPU provider: ONNX Runtime's own profiler (its per-node
/// <c>kernel_time</c> events) over a session built from the same file as the service's (<see cref="ModelSession.File"/>),
/// one intra-op thread as a CPU slice runs it, the optimised graph's operators (Convs with their fused activations,
/// NCHWc reorders). A PRelu at half the recognizer's time is how its CPU form was found (models/README.md).
/// </summary>
internal static class OperatorProfile
{
    public static IEnumerable<OperatorRow> Measure(string label, ModelSession model, float[] input, int calls)
    {
        var spec = model.Model;
        var prefix = Path.Combine(Path.GetTempPath(), $"faceorleans-ops-{Guid.NewGuid():N}");
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = 1,
            EnableProfiling = true,
            ProfileOutputPathPrefix = prefix,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        string profile;
        using (var session = new InferenceSession(model.File, options))
        {
            using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, spec.Input.Height, spec.Input.Width]);
            using var runOptions = new RunOptions();
            for (var i = 0; i < calls; i++)
            {
                using var _ = session.Run(runOptions, [spec.Input.Name], [value], session.OutputNames);
            }

            profile = session.EndProfiling();
        }

        try
        {
            return Summarise(label, File.ReadAllBytes(profile));
        }
        finally
        {
            File.Delete(profile);
        }
    }

    /// <summary>Sums ONNX Runtime's profile (a JSON array of trace events, durations in microseconds) by operator type.</summary>
    internal static IEnumerable<OperatorRow> Summarise(string label, byte[] profileJson)
    {
        using var trace = JsonDocument.Parse(profileJson);
        var runs = 0;
        var byOperator = new Dictionary<string, (double Microseconds, int Nodes)>(StringComparer.Ordinal);
        foreach (var e in trace.RootElement.EnumerateArray())
        {
            var name = e.GetProperty("name").GetString() ?? "";
            if (name == "model_run")
            {
                runs++;
            }
            else if (e.GetProperty("cat").GetString() == "Node" && name.EndsWith("_kernel_time", StringComparison.Ordinal))
            {
                var op = e.GetProperty("args").GetProperty("op_name").GetString() ?? "?";
                var (microseconds, nodes) = byOperator.GetValueOrDefault(op);
                byOperator[op] = (microseconds + e.GetProperty("dur").GetDouble(), nodes + 1);
            }
        }

        var total = byOperator.Values.Sum(v => v.Microseconds);
        return byOperator.OrderByDescending(kv => kv.Value.Microseconds).Select(kv => new OperatorRow(
            label, kv.Key, kv.Value.Microseconds / 1000 / Math.Max(runs, 1), kv.Value.Microseconds / total, kv.Value.Nodes / Math.Max(runs, 1)));
    }

    public static string ToTable(IEnumerable<OperatorRow> rows)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"model",-30} {"operator",-16} {"ms per call",11} {"share",7} {"nodes",6}");
        foreach (var row in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{row.Model,-30} {row.Operator,-16} {row.MsPerCall,11:0.000} {row.Share,7:0.0%} {row.NodesPerCall,6}");
        }

        return text.ToString().TrimEnd();
    }
}
