using FaceOrleans.Vision;

namespace FaceOrleans.Tests;

/// <summary>
/// A stand-in network for scheduling tests: each input is a number whose output is its double, inputs of one
/// <c>Size</c> share a call, and a call can be held on a gate or made to throw. It records every call it gets, so a
/// test can see how the scheduler grouped and ordered its inputs; it is a test of the scheduler, not of a model.
/// </summary>
public sealed class GatedModel(int maxBatchSize = 64) : IBatchModel<GatedModel.Input, int>
{
    private readonly List<Input[]> _calls = [];

    public ConcurrencyGauge Gauge { get; } = new();

    /// <summary>When set, a call whose inputs include <see cref="Input.Holds"/> waits for it before answering.</summary>
    public ManualResetEventSlim Gate { get; } = new(initialState: true);

    /// <summary>Set by a call that holds on the gate once it has started.</summary>
    public ManualResetEventSlim Holding { get; } = new();

    /// <summary>The threads calls ran on, by name; <see cref="PoolThread"/> for any of the shared thread pool's.</summary>
    public HashSet<string?> Threads { get; } = [];

    public const string PoolThread = "(thread pool)";

    public string ModelName => "gated";

    public int MaxBatchSize => maxBatchSize;

    public IReadOnlyList<Input[]> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    public InputShape ShapeOf(Input input) => new(input.Size, input.Size);

    /// <summary>
    /// Waits until <paramref name="calls"/> calls are inside the model at once (held on the gate). A scheduler counts a
    /// call as running when it takes its slot, before its thread reaches the model, so its own count cannot say this.
    /// </summary>
    public Task<int> UntilInsideAsync(int calls) =>
        Polling.UntilAsync(() => Task.FromResult(Gauge.Current), n => n == calls, TimeSpan.FromSeconds(30));

    public int[] RunBatch(IReadOnlyList<Input> inputs)
    {
        using var scope = Gauge.Enter(inputs.Count);
        lock (_calls)
        {
            _calls.Add([.. inputs]);
            Threads.Add(Thread.CurrentThread.IsThreadPoolThread ? PoolThread : Thread.CurrentThread.Name);
        }

        if (inputs.Any(i => i.Holds))
        {
            Holding.Set();
            Gate.Wait(TimeSpan.FromMinutes(1));
        }

        return inputs.Any(i => i.Throws) ? throw new InvalidOperationException("model broke") : inputs.Select(i => i.Value * 2).ToArray();
    }

    /// <param name="Value">Answered doubled.</param>
    /// <param name="Size">Inputs of equal size may share a call.</param>
    /// <param name="Holds">The call holding it waits for <see cref="Gate"/>.</param>
    /// <param name="Throws">The call holding it fails.</param>
    public sealed record Input(int Value, int Size = 1, bool Holds = false, bool Throws = false);
}
