namespace FaceOrleans.Vision;

/// <summary>Frees pooled inputs, outputs and pixels that a step may have made only part of.</summary>
internal static class Disposables
{
    public static void DisposeAll(IEnumerable<IDisposable?> items)
    {
        foreach (var item in items)
        {
            item?.Dispose();
        }
    }
}
