using System.Diagnostics;
using System.Globalization;

namespace FaceOrleans.LoadBenchmark;

/// <summary>
/// CPU time (user + system) of a process and of every live descendant, from <c>/proc/PID/stat</c>: a gunicorn master
/// does nothing itself, its workers do the compares. Read before and after a run, the difference is the run's CPU,
/// provided no worker exits in between (gunicorn's sync workers live as long as the master).
/// </summary>
internal static class ProcessTreeCpu
{
    private static readonly double TicksPerSecond = ClockTicks();

    /// <summary>This tool's own CPU time: the in-process pipeline's when it runs here, the client's otherwise.</summary>
    public static TimeSpan ThisProcess() => Process.GetCurrentProcess().TotalProcessorTime;

    public static TimeSpan Read(int rootPid)
    {
        var stats = new Dictionary<int, (int Parent, long Ticks)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && TryStat(pid) is { } stat)
            {
                stats[pid] = stat;
            }
        }

        var ticks = 0L;
        foreach (var (pid, stat) in stats)
        {
            // Walk up to the root or to a process outside the tree.
            for (var p = pid; stats.TryGetValue(p, out var up); p = up.Parent)
            {
                if (p == rootPid)
                {
                    ticks += stat.Ticks;
                    break;
                }
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>Parent pid and utime + stime in clock ticks; null when the process is gone.</summary>
    private static (int Parent, long Ticks)? TryStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may hold spaces; the fields after it are plain.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state): ppid is field 4, utime 14 and stime 15.
        return (int.Parse(fields[1], CultureInfo.InvariantCulture),
            long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
    }

    /// <summary>USER_HZ: 100 on every Linux this runs on; getconf says so when it can.</summary>
    private static double ClockTicks()
    {
        try
        {
            using var getconf = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true });
            var output = getconf?.StandardOutput.ReadToEnd().Trim();
            getconf?.WaitForExit();
            return double.TryParse(output, NumberStyles.Float, CultureInfo.InvariantCulture, out var hz) && hz > 0 ? hz : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }
}
