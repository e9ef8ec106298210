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
    public static Grpc.Core.RpcException Rpc(SnnServeException error) =>
        new(new Grpc.Core.Status(GrpcStatus(error.Kind), error.Message));

    /// <summary>A ProblemDetails result for <paramref name="error"/>.</summary>
    public static IResult Problem(SnnServeException error) =>
        TypedResults.Problem(detail: error.Message, statusCode: HttpStatus(error.Kind), title: error.Kind.ToString());

    /// <summary>A 400 ProblemDetails result for a malformed body.</summary>
    public static IResult BadRequest(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest, title: nameof(ErrorKind.InvalidArgument));
}
