using FaceOrleans.Grains.Slices;
using FaceOrleans.Vision;
using Microsoft.Extensions.Configuration;

namespace FaceOrleans.LoadBenchmark;

/// <summary>
/// The project's own pipeline at its best in one process, the figure the service is held to: N callers each calling
/// <see cref="FacePipeline.CompareAsync"/> with <see cref="FacePipeline.ModelDefaults"/>, every model call on its
/// caller's thread (no scheduler, no hand-off) with 1 intra-op thread, the slice's other settings as given.
/// </summary>
internal sealed class RawPipeline : IDisposable
{
    private readonly OnnxSessionFactory _sessions;
    private readonly FacePipeline _pipeline;
    private readonly Workload _workload;

    public RawPipeline(Workload workload, IReadOnlyList<string> sliceArguments)
    {
        var slice = new SliceOptions();
        new ConfigurationBuilder().AddCommandLine(sliceArguments.ToArray()).Build().GetSection(SliceOptions.Section).Bind(slice);
        var inference = slice.ToInferenceOptions();
        inference.IntraOpThreads = 1;
        _sessions = new OnnxSessionFactory(ModelCatalog.Locate(Benchmarks.BenchmarkPaths.ModelsDirectory), inference);
        _pipeline = FacePipeline.Create(_sessions, sides: slice.DetectionSides);
        _workload = workload;
    }

    public DecisionTally Decisions { get; } = new();

    public async Task<bool> CompareAsync(LabelledPair pair)
    {
        var result = await _pipeline.CompareAsync(_workload.Photo(pair.ImageA), _workload.Photo(pair.ImageB), _pipeline.ModelDefaults);
        Decisions.Record(result.IsSamePerson == pair.SamePerson);
        return true;
    }

    public void Dispose() => _sessions.Dispose();
}
