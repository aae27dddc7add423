using System.Diagnostics;
using System.Globalization;
using FaceOrleans.Grains.Gallery;

namespace FaceOrleans.GalleryBenchmark;

/// <summary>
/// "Load after restart" in a fresh process, as a restarted silo does it: every shard's snapshot read back
/// and reconciled with the store at once. Measuring in a new process makes the memory figures honest: the
/// growth of the managed heap and of the process's resident set while the index loads, with nothing left
/// over from building the gallery.
/// </summary>
internal static class RestartProcess
{
    public const string Flag = "--restart";

    public sealed record Result(TimeSpan Load, long HeapBytes, long RssBytes);

    public static async Task<Result> RunAsync(string database, string indexRoot, int size, int shards)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(RestartProcess).Assembly.Location);
        }

        foreach (var argument in new[] { Flag, database, indexRoot, Invariant(size), Invariant(shards) })
        {
            start.ArgumentList.Add(argument);
        }

        using var child = Process.Start(start)!;
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        var fields = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split(' ');
        return child.ExitCode == 0 && fields[0] == "restart"
            ? new Result(TimeSpan.FromMilliseconds(double.Parse(fields[1], CultureInfo.InvariantCulture)), long.Parse(fields[2], CultureInfo.InvariantCulture),
                long.Parse(fields[3], CultureInfo.InvariantCulture))
            : throw new InvalidOperationException($"The restart process failed ({child.ExitCode}): {output}");
    }

    /// <summary>The child: arguments after <see cref="Flag"/> are the database, the index folder, the face count and the shard count.</summary>
    public static async Task<int> MainAsync(string[] args)
    {
        var store = new SqliteGalleryStore(args[1]);
        await store.GetLayoutAsync("warm-up"); // opens the database before measuring
        var (heapBefore, rssBefore) = GalleryRun.Memory();
        var (indexes, elapsed) = await GalleryRun.LoadCompactAsync(store, int.Parse(args[4], CultureInfo.InvariantCulture), args[2],
            int.Parse(args[3], CultureInfo.InvariantCulture));
        var (heapAfter, rssAfter) = GalleryRun.Memory();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"restart {elapsed.TotalMilliseconds} {heapAfter - heapBefore} {rssAfter - rssBefore}"));
        GalleryRun.DisposeAll(indexes);
        return 0;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
