using Microsoft.ML.OnnxRuntime;
using SnnServe.Runtime.Network;

namespace SnnServe.Runtime.Scout;

/// <summary>
/// An ORT session with one float32 input [1, C, H, W] and one output of interest, run on a single
/// channel-first item: what the scout and the single-pass classifier share. Thread-safe; a disposed
/// session is never entered (that would crash the process, not throw).
/// </summary>
internal sealed class SingleTensorSession(InferenceSession session, string inputName, string outputName, Shape3 input) : IDisposable
{
    // Stateless and reusable across threads; ORT does not accept a null RunOptions.
    private static readonly RunOptions s_runOptions = new();

    private readonly long[] _inputShape = [1, input.Channels, input.Height, input.Width];
    private volatile bool _disposed;

    public string OutputName => outputName;

    /// <summary>Runs one item; the caller reads the output and disposes the collection.</summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(float[] inputChw)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using OrtValue value = OrtValue.CreateTensorValueFromMemory(inputChw, _inputShape);
        return session.Run(s_runOptions, [inputName], [value], [outputName]);
    }

    /// <summary>
    /// Runs <paramref name="count"/> items stored one after the other in <paramref name="inputs"/>
    /// as one batch [count, C, H, W] (the graph's batch dimension must be symbolic).
    /// </summary>
    public IDisposableReadOnlyCollection<OrtValue> RunBatch(float[] inputs, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long[] shape = [count, input.Channels, input.Height, input.Width];
        using OrtValue value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, inputs.AsMemory(0, count * input.Size), shape);
        return session.Run(s_runOptions, [inputName], [value], [outputName]);
    }

    public void Dispose()
    {
        _disposed = true;
        session.Dispose();
    }
}
