using FaceOrleans.Api.Hosting;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Api.Problems;

/// <summary>
/// Bounds the time a request body may take to arrive (<see cref="ApiOptions.RequestBodyTimeout"/>, counted from the
/// request's start). Kestrel's minimum data rate alone does not: it compares the average rate since the body began,
/// so a client that sends most of a photo quickly and then stalls holds its connection for minutes. Reads past the
/// deadline fail with a 408 <c>request-timeout</c> problem and Kestrel closes the connection, whose body is unread.
/// </summary>
public static class RequestBodyDeadline
{
    private static readonly object TimeoutItem = new();

    /// <summary>The deadline a request ran under (the configured one when the middleware has not seen it).</summary>
    public static TimeSpan Timeout(HttpContext context) =>
        context.Items.TryGetValue(TimeoutItem, out var timeout) && timeout is TimeSpan value
            ? value
            : context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.RequestBodyTimeout;

    public static IApplicationBuilder UseRequestBodyDeadline(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var timeout = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.RequestBodyTimeout;
        if (context.Request.ContentLength is 0 || timeout <= TimeSpan.Zero
            || (context.Request.ContentLength is null && !context.Request.Headers.TransferEncoding.Any(v => v?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true)))
        {
            await next(context);
            return;
        }

        context.Items[TimeoutItem] = timeout;
        using var deadline = new CancellationTokenSource(timeout);
        var body = context.Request.Body;
        context.Request.Body = new DeadlineStream(body, timeout, deadline.Token);
        try
        {
            await next(context);
        }
        finally
        {
            context.Request.Body = body;
        }
    });

    private sealed class DeadlineStream(Stream inner, TimeSpan timeout, CancellationToken deadline) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline);
            try
            {
                return await inner.ReadAsync(buffer, linked.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new BadHttpRequestException($"The request body did not arrive within {timeout.TotalSeconds:0.#} s.", StatusCodes.Status408RequestTimeout);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        // Form and JSON reading are asynchronous; Kestrel refuses synchronous reads anyway (AllowSynchronousIO is off).
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Synchronous reads are not allowed.");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
