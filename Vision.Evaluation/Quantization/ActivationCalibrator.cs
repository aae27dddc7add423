using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace FaceOrleans.Vision.Evaluation;

/// <summary>
/// Measures the activation ranges static int8 quantization needs, the way ONNX Runtime's own MinMax calibrator does:
/// the fp32 model is rewritten so that every Conv's input and output is also a graph output, run (unoptimised, so no
/// fusion hides a tensor) on exactly the inputs the real pipeline feeds the model, and each tensor's min and max over
/// all of them is kept. Not thread-safe; one model per instance.
/// </summary>
public sealed class ActivationCalibrator : IDisposable
{
    private readonly InferenceSession _session;
    private readonly ModelSpec _model;
    private readonly string[] _tensors;
    private readonly Dictionary<string, (float Min, float Max)> _ranges = new(StringComparer.Ordinal);
    private int _inputs;

    public ActivationCalibrator(ModelSpec model, string verifiedPath)
    {
        _model = model;
        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(verifiedPath));
        _tensors = QuantizedActivations(graph.Graph);
        var declared = graph.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in _tensors.Where(n => !declared.Contains(n)))
        {
            // A float tensor of unknown shape: ONNX Runtime infers the rest.
            graph.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 };
        _session = new InferenceSession(graph.ToByteArray(), options);
    }

    /// <summary>The tensors <c>models/provision.py</c> puts a QuantizeLinear/DequantizeLinear pair on: every Conv's data input and output.</summary>
    public static string[] QuantizedActivations(GraphProto graph) =>
        graph.Node.Where(n => n.OpType == "Conv").SelectMany(n => new[] { n.Input[0], n.Output[0] }).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Runs the model on one prepared input (a packed 3xHxW image or face) and widens every tensor's range.</summary>
    public void Observe(PreparedInput input)
    {
        var tensor = input.Tensor;
        using var value = OrtValue.CreateTensorValueFromMemory(tensor.Span.ToArray(), [1, 3, tensor.Height, tensor.Width]);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [_model.Input.Name], [value], _tensors);
        for (var i = 0; i < _tensors.Length; i++)
        {
            var values = outputs[i].GetTensorDataAsSpan<float>();
            var (min, max) = (System.Numerics.Tensors.TensorPrimitives.Min(values), System.Numerics.Tensors.TensorPrimitives.Max(values));
            _ranges[_tensors[i]] = _ranges.TryGetValue(_tensors[i], out var seen) ? (Math.Min(seen.Min, min), Math.Max(seen.Max, max)) : (min, max);
        }

        _inputs++;
    }

    public ActivationRanges Ranges(string photos) => new(
        _model.Name, _model.Sha256, "minmax", _inputs, photos,
        new SortedDictionary<string, float[]>(_ranges.ToDictionary(r => r.Key, r => new[] { r.Value.Min, r.Value.Max }), StringComparer.Ordinal));

    public void Dispose() => _session.Dispose();
}
