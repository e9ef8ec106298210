namespace SnnServe.Runtime.Errors;

/// <summary>
/// Base type of every error the runtime raises on purpose. <see cref="Kind"/> decides the status a
/// transport answers with; <see cref="Exception.Message"/> is safe to show to the client.
/// </summary>
public class SnnServeException : Exception
{
    /// <summary>Creates an error of the given kind.</summary>
    public SnnServeException(ErrorKind kind, string message, Exception? inner = null)
        : base(message, inner) => Kind = kind;

    /// <summary>What went wrong, in the closed vocabulary the transports map.</summary>
    public ErrorKind Kind { get; }

    /// <summary>
    /// For <see cref="ErrorKind.ResourceExhausted"/> and <see cref="ErrorKind.Unavailable"/>: when a
    /// retry is worth trying (HTTP <c>Retry-After</c>, gRPC <c>retry-after</c> trailer); null when unknown.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }
}
