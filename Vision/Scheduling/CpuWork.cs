namespace FaceOrleans.Vision;

/// <summary>
/// The pipeline's CPU-bound work in progress in this process: image decodes and model calls on the CPU provider.
/// A request reads it to decide whether a core is free to decode its other image beside the first; under load every
/// core is already busy, and handing the second image to another thread only adds a hand-off and a wait
/// (docs/load/seventh-pass.md). Process-wide because the cores are.
/// </summary>
internal static class CpuWork
{
    public static ConcurrencyGauge InProcess { get; } = new();
}
