using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace FaceOrleans.Tests;

/// <summary>
/// A server executable (the silo or the API) started as an operator starts it: <c>dotnet X.dll</c> from a chosen
/// folder, with arguments and environment variables. Its output is kept; stopping sends SIGTERM, as a service
/// manager does, so it shuts down cleanly and flushes its log, and kills it only if it does not exit in time.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private bool _disposed;

    private ServerProcess(Process process) => _process = process;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote so far, stdout and stderr interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static ServerProcess Start(string assembly, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var server = new ServerProcess(new Process { StartInfo = start });
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Waits until <paramref name="ready"/> holds; fails with the process's output if it exits or time runs out.</summary>
    public async Task<T> WaitForAsync<T>(Func<Task<T?>> ready, TimeSpan timeout, string what)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !HasExited)
        {
            if (await ready() is { } result)
            {
                return result;
            }

            await Task.Delay(250);
        }

        throw new Xunit.Sdk.XunitException($"{what}: {(HasExited ? $"the process exited with {_process.ExitCode}" : "timed out")}. Its output:\n{Output}");
    }

    /// <summary>Stops the process (SIGTERM, then a kill after 30 s) and returns all it wrote.</summary>
    public async Task<string> StopAsync()
    {
        if (!_process.HasExited)
        {
            _ = Signal(_process.Id, 15);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        await _process.WaitForExitAsync();
        return Output;
    }

    /// <summary>SIGKILL: the process gets no chance to finish, flush or deactivate anything.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>
    /// Stops and frees the process; again it does nothing. A test that disposed a server and then failed starting the
    /// next one disposes it once more in its finally, and that must not hide the failure behind "no process".
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Signal(int pid, int signal);
}
