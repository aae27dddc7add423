using Microsoft.ML.OnnxRuntime;

namespace FaceOrleans.Vision;

/// <summary>A loaded model, the file and execution provider it actually runs from, and the session it owns.</summary>
public sealed class ModelSession(ModelSpec model, string file, InferenceSession session, string executionProvider, ConcurrencyGauge runs) : IDisposable
{
    public ModelSpec Model { get; } = model;

    /// <summary>The file the session was built from: the model's own, or its CPU form (<see cref="CpuFormSpec"/>).</summary>
    public string File { get; } = file;

    /// <summary><c>CPU</c>, or <c>CUDA:N</c> when the CUDA provider loaded.</summary>
    public string ExecutionProvider { get; } = executionProvider;

    private readonly bool _onCpu = executionProvider == "CPU";

    /// <summary>Every output the graph declares, in its order.</summary>
    public IReadOnlyList<string> OutputNames => session.OutputNames;

    /// <summary>Runs the model with one input; counted on the factory's gauge, and on the CPU as the pipeline's CPU work.</summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(OrtValue input, IReadOnlyCollection<string> outputNames)
    {
        using var scope = runs.Enter((int)input.GetTensorTypeAndShape().Shape[0]);
        using var working = _onCpu ? CpuWork.InProcess.Enter() : (ConcurrencyGauge.Scope?)null;
        using var runOptions = new RunOptions();
        try
        {
            return session.Run(runOptions, [Model.Input.Name], [input], outputNames);
        }
        catch (OnnxRuntimeException ex) when (ModelMemoryExhaustedException.IsOutOfMemory(ex))
        {
            // Typed, so the slice answers 503 with a reason rather than a 500: the slice itself is fine.
            throw new ModelMemoryExhaustedException(Model.Name, ex);
        }
    }

    public void Dispose() => session.Dispose();
}
