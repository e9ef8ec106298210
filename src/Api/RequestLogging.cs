namespace SnnServe.Api;

/// <summary>
/// Request ids and one structured log line per HTTP/gRPC request: the id is the client's
/// <c>X-Request-Id</c> when it sends one (≤ 128 printable characters), otherwise the server's trace
/// identifier; it is echoed in the <c>X-Request-Id</c> response header and carried by the log line.
/// </summary>
public static partial class RequestLogging
{
    public const string Header = "X-Request-Id";

    public static WebApplication UseRequestIds(this WebApplication app)
    {
        ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SnnServe.Requests");
        app.Use(async (context, next) =>
        {
            string? given = context.Request.Headers[Header];
            string id = given is { Length: > 0 and <= 128 } && given.All(c => c is > ' ' and < (char)127) ? given : context.TraceIdentifier;
            context.TraceIdentifier = id;
            context.Response.Headers[Header] = id;
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            await next(context);
            Log.Completed(logger, id, context.Request.Method, context.Request.Path, context.Response.StatusCode,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        });
        return app;
    }

    private static partial class Log
    {
        [LoggerMessage(2201, LogLevel.Debug, "Request {RequestId} {Method} {Path} answered {Status} in {Milliseconds:F2} ms")]
        public static partial void Completed(ILogger logger, string requestId, string method, string path, int status, double milliseconds);
    }
}
