using SnnServe.Runtime.Errors;

namespace SnnServe.Api;

/// <summary>The one place runtime error kinds become HTTP statuses.</summary>
public static class ErrorMapping
{
    /// <summary>HTTP status of an error kind.</summary>
    public static int HttpStatus(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => StatusCodes.Status400BadRequest,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorKind.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>gRPC status code of an error kind.</summary>
    public static Grpc.Core.StatusCode GrpcStatus(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => Grpc.Core.StatusCode.InvalidArgument,
        ErrorKind.NotFound => Grpc.Core.StatusCode.NotFound,
        ErrorKind.ResourceExhausted => Grpc.Core.StatusCode.ResourceExhausted,
        ErrorKind.Unavailable => Grpc.Core.StatusCode.Unavailable,
        ErrorKind.DeadlineExceeded => Grpc.Core.StatusCode.DeadlineExceeded,
        _ => Grpc.Core.StatusCode.Internal,
    };

    /// <summary>The <see cref="Grpc.Core.RpcException"/> for <paramref name="error"/>.</summary>
    /// <remarks>A retry hint becomes the <c>retry-after</c> trailer (whole seconds) and <c>grpc-retry-pushback-ms</c>.</remarks>
    public static Grpc.Core.RpcException Rpc(SnnServeException error)
    {
        var status = new Grpc.Core.Status(GrpcStatus(error.Kind), error.Message);
        if (error.RetryAfter is not { } retry)
        {
            return new Grpc.Core.RpcException(status);
        }

        return new Grpc.Core.RpcException(status, new Grpc.Core.Metadata
        {
            { "retry-after", RetryAfterSeconds(retry) },
            { "grpc-retry-pushback-ms", ((long)retry.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture) },
        });
    }

    /// <summary>A ProblemDetails result for <paramref name="error"/>, with <c>Retry-After</c> when the error carries a retry hint.</summary>
    public static IResult Problem(SnnServeException error)
    {
        IResult problem = TypedResults.Problem(detail: error.Message, statusCode: HttpStatus(error.Kind), title: error.Kind.ToString());
        return WithRetryAfter(problem, error);
    }

    /// <summary>Adds <c>Retry-After</c> to <paramref name="result"/> when <paramref name="error"/> carries a retry hint.</summary>
    public static IResult WithRetryAfter(IResult result, SnnServeException error) =>
        error.RetryAfter is { } retry ? new RetryAfterResult(result, RetryAfterSeconds(retry)) : result;

    // Retry-After takes whole seconds; round up so a client never retries too early.
    private static string RetryAfterSeconds(TimeSpan retry) =>
        ((long)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed class RetryAfterResult(IResult inner, string seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds;
            return inner.ExecuteAsync(httpContext);
        }
    }

    /// <summary>A 400 ProblemDetails result for a malformed body.</summary>
    public static IResult BadRequest(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest, title: nameof(ErrorKind.InvalidArgument));
}
