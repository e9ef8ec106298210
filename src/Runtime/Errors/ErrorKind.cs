namespace SnnServe.Runtime.Errors;

/// <summary>
/// The small, closed set of failure kinds the runtime reports. Transports map each kind to one
/// HTTP status and one gRPC status code in a single place; they never invent their own.
/// </summary>
public enum ErrorKind
{
    /// <summary>The caller sent something malformed (shape, dtype, NaN, option out of range).</summary>
    InvalidArgument,

    /// <summary>The model or version does not exist (or is not loaded).</summary>
    NotFound,

    /// <summary>The server is at capacity (queue full); retrying later may succeed.</summary>
    ResourceExhausted,

    /// <summary>The model exists but is not ready (loading, unloading, shutting down).</summary>
    Unavailable,

    /// <summary>The request's deadline passed before a single timestep could run.</summary>
    DeadlineExceeded,

    /// <summary>A model on disk is invalid: wrong manifest, tensors, hashes or ONNX file.</summary>
    InvalidModel,

    /// <summary>A bug or an environment failure on the server's side.</summary>
    Internal,
}
