using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace SnnServe.Runtime.Scout;

/// <summary>
/// Creates ONNX Runtime session options: the CUDA execution provider when it can be loaded,
/// otherwise the CPU provider. The first failure to load CUDA is logged once per process and
/// remembered, so later sessions go straight to the CPU.
/// </summary>
public static partial class ExecutionProviders
{
    /// <summary>Name ORT uses for the CUDA provider.</summary>
    public const string Cuda = "CUDAExecutionProvider";

    /// <summary>Name ORT uses for the CPU provider.</summary>
    public const string Cpu = "CPUExecutionProvider";

    private static int s_cudaUnavailable;

    /// <summary>
    /// Session options for a small model run once per request: one intra-op thread (requests are
    /// parallel already, and a fixed thread count keeps CPU results bit-reproducible).
    /// </summary>
    public static SessionOptions Create(bool preferCuda, ILogger logger, out string provider)
    {
        if (preferCuda && Volatile.Read(ref s_cudaUnavailable) == 0)
        {
            SessionOptions cuda = NewOptions();
            try
            {
                cuda.AppendExecutionProvider_CUDA(0);
                provider = Cuda;
                return cuda;
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                cuda.Dispose();
                if (Interlocked.Exchange(ref s_cudaUnavailable, 1) == 0)
                {
                    Log.CudaUnavailable(logger, ex.Message);
                }
            }
        }

        provider = Cpu;
        return NewOptions();
    }

    /// <summary>
    /// Creates the session of one model file with <see cref="Create"/>'s options; a file ORT cannot
    /// load becomes a <see cref="Errors.ModelLoadException"/> naming <paramref name="fileName"/>.
    /// </summary>
    public static InferenceSession CreateSession(byte[] model, string fileName, bool preferCuda, ILogger logger, out string provider)
    {
        using SessionOptions options = Create(preferCuda, logger, out provider);
        try
        {
            return new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new Errors.ModelLoadException(fileName, "(model)", "ONNX Runtime cannot load it: " + FirstLine(ex.Message), ex);
        }
    }

    /// <summary>The first line of an ORT message (the rest is a native stack).</summary>
    public static string FirstLine(string message) => message.Split('\n')[0].Trim();

    private static SessionOptions NewOptions() => new()
    {
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    };

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Warning, "CUDA execution provider unavailable, falling back to CPU: {Reason}")]
        public static partial void CudaUnavailable(ILogger logger, string reason);
    }
}
