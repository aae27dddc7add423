using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;

namespace FaceOrleans.Api.Observability;

/// <summary>
/// Writes each log entry made inside a request's tenant scope to <c>{folder}/{tenant}.log</c> as well, so an
/// operator can hand one business line its own log, as the tutorial's separate containers did.
/// </summary>
public sealed partial class TenantFileLoggerProvider(string folder) : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentDictionary<string, StreamWriter> _files = new(StringComparer.Ordinal);
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ILogger CreateLogger(string categoryName) => new TenantLogger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
        foreach (var writer in _files.Values)
        {
            writer.Dispose();
        }

        _files.Clear();
    }

    private void Write(string category, LogLevel level, string message, Exception? exception)
    {
        string? tenant = null;
        string? requestId = null;
        _scopes.ForEachScope((scope, _) =>
        {
            if (scope is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    tenant = key == "tenant" ? value as string ?? tenant : tenant;
                    requestId = key == "request_id" ? value as string ?? requestId : requestId;
                }
            }
        }, (object?)null);

        // The tenant comes from a URL, so only a plain name may become a file name.
        if (tenant is null || !SafeName().IsMatch(tenant))
        {
            return;
        }

        var writer = _files.GetOrAdd(tenant, t =>
        {
            Directory.CreateDirectory(folder);
            return new StreamWriter(new FileStream(Path.Combine(folder, t + ".log"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        });
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTimeOffset.UtcNow:O} {level} {category} [{requestId}] {message}{(exception is null ? string.Empty : " " + exception)}");
        lock (writer)
        {
            writer.WriteLine(line);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex SafeName();

    private sealed class TenantLogger(TenantFileLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(category, logLevel, formatter(state, exception), exception);
            }
        }
    }
}
