using Microsoft.Extensions.Logging;

namespace SnnServe.Runtime.Kernels;

/// <summary>Creates the kernel a configured backend name stands for.</summary>
public static class ExecutionBackends
{
    /// <summary>
    /// <c>cpu</c>: the event-driven kernel. <c>onnx</c>: per-network ONNX step graphs run by ONNX
    /// Runtime on CUDA when <paramref name="preferCuda"/> and available, else on the CPU (logged).
    /// </summary>
    public static INetworkKernel Create(string backend, bool preferCuda, ILogger logger) => backend switch
    {
        "cpu" => EventDrivenKernel.Instance,
        "onnx" => new OnnxStepKernel(preferCuda, logger),
        _ => throw new ArgumentException($"unknown execution backend '{backend}' (cpu or onnx)"),
    };
}
