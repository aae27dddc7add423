namespace FaceOrleans.Vision;

/// <summary>Runs prepared inputs on the calling thread: grouped by shape, each group in calls of at most the model's batch size.</summary>
internal static class BatchRuns
{
    public static TOutput[] RunGrouped<TInput, TOutput>(IBatchModel<TInput, TOutput> model, IReadOnlyList<TInput> inputs)
    {
        var outputs = new TOutput[inputs.Count];
        foreach (var group in Enumerable.Range(0, inputs.Count).GroupBy(i => model.ShapeOf(inputs[i])))
        {
            foreach (var chunk in group.Chunk(Math.Max(1, model.MaxBatchSize)))
            {
                var results = model.RunBatch(chunk.Select(i => inputs[i]).ToArray());
                for (var k = 0; k < chunk.Length; k++)
                {
                    outputs[chunk[k]] = results[k];
                }
            }
        }

        return outputs;
    }
}
