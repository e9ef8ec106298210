using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Network;

namespace SnnServe.Runtime.Scout;

/// <summary>
/// The saliency scout: a small ONNX CNN mapping the normalised input [N, C, H, W] to an attention
/// map [N, 1, h, w] with values in [0, 1]. One <see cref="InferenceSession"/> per model, created once;
/// names, ranks and sizes are checked at load by a probe inference on a blank input.
/// </summary>
public sealed class OnnxScout : IDisposable
{
    private readonly SingleTensorSession _session;

    private OnnxScout(InferenceSession session, string provider, Shape3 input, string inputName, string outputName)
    {
        _session = new SingleTensorSession(session, inputName, outputName, input);
        ExecutionProvider = provider;
        Input = input;
    }

    /// <summary>The ORT execution provider in use: <c>CUDAExecutionProvider</c> or <c>CPUExecutionProvider</c>.</summary>
    public string ExecutionProvider { get; }

    public Shape3 Input { get; }

    /// <summary>Attention map height h.</summary>
    public int MapHeight { get; private set; }

    /// <summary>Attention map width w.</summary>
    public int MapWidth { get; private set; }

    /// <summary>Loads and checks a scout from <paramref name="modelBytes"/>; errors name <paramref name="fileName"/>.</summary>
    public static OnnxScout Load(byte[] modelBytes, string fileName, Shape3 input, bool preferCuda, ILogger logger)
    {
        InferenceSession session = ExecutionProviders.CreateSession(modelBytes, fileName, preferCuda, logger, out string provider);
        try
        {
            if (session.InputMetadata.Count != 1)
            {
                throw new ModelLoadException(fileName, "inputs", $"expected exactly one input, found {session.InputMetadata.Count}");
            }

            var (inputName, inputMeta) = session.InputMetadata.First();
            if (inputMeta.ElementDataType != TensorElementType.Float || inputMeta.Dimensions.Length != 4)
            {
                throw new ModelLoadException(fileName, "inputs." + inputName, $"expected float32 [N, C, H, W], found {inputMeta.ElementDataType} of rank {inputMeta.Dimensions.Length}");
            }

            int[] expected = [1, input.Channels, input.Height, input.Width];
            for (int d = 1; d < 4; d++)
            {
                if (inputMeta.Dimensions[d] > 0 && inputMeta.Dimensions[d] != expected[d])
                {
                    throw new ModelLoadException(fileName, "inputs." + inputName, $"shape [{string.Join(", ", inputMeta.Dimensions)}] does not fit the model input {input}");
                }
            }

            if (session.OutputMetadata.Count < 1)
            {
                throw new ModelLoadException(fileName, "outputs", "the graph has no output");
            }

            var (outputName, outputMeta) = session.OutputMetadata.First();
            if (outputMeta.ElementDataType != TensorElementType.Float || outputMeta.Dimensions.Length != 4)
            {
                throw new ModelLoadException(fileName, "outputs." + outputName, $"expected float32 [N, 1, h, w], found {outputMeta.ElementDataType} of rank {outputMeta.Dimensions.Length}");
            }

            var scout = new OnnxScout(session, provider, input, inputName, outputName) { Batchable = inputMeta.Dimensions[0] <= 0 };
            scout.Probe(fileName);
            return scout;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the scout on one normalised input (channel-first) and writes the h × w map, clamped to
    /// [0, 1], into <paramref name="map"/>. Thread-safe.
    /// </summary>
    public void Run(float[] inputChw, Span<float> map)
    {
        using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(inputChw);
        ReadOnlySpan<float> values = outputs[0].GetTensorDataAsSpan<float>();
        if (values.Length != MapHeight * MapWidth)
        {
            throw new SnnServeException(ErrorKind.Internal, $"scout returned {values.Length} values, expected {MapHeight * MapWidth}");
        }

        Clamp(values, map);
    }

    /// <summary>True when the graph's batch dimension is symbolic, so <see cref="RunBatch"/> can run several inputs in one call.</summary>
    public bool Batchable { get; private set; }

    /// <summary>
    /// Runs the scout once on <paramref name="count"/> normalised inputs stored one after the other
    /// in <paramref name="inputs"/> and writes each item's clamped map into <paramref name="maps"/>[i].
    /// Falls back to one call per item when the graph has a fixed batch size.
    /// </summary>
    public void RunBatch(float[] inputs, int count, ReadOnlySpan<float[]> maps)
    {
        if (!Batchable || count == 1)
        {
            var single = new float[Input.Size];
            for (int i = 0; i < count; i++)
            {
                Array.Copy(inputs, i * Input.Size, single, 0, Input.Size);
                Run(single, maps[i]);
            }

            return;
        }

        using IDisposableReadOnlyCollection<OrtValue> outputs = _session.RunBatch(inputs, count);
        ReadOnlySpan<float> values = outputs[0].GetTensorDataAsSpan<float>();
        int size = MapHeight * MapWidth;
        if (values.Length != count * size)
        {
            throw new SnnServeException(ErrorKind.Internal, $"scout returned {values.Length} values for {count} inputs, expected {count * size}");
        }

        for (int i = 0; i < count; i++)
        {
            Clamp(values.Slice(i * size, size), maps[i]);
        }
    }

    public void Dispose() => _session.Dispose();

    private static void Clamp(ReadOnlySpan<float> values, Span<float> map)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float m = values[i];
            map[i] = float.IsNaN(m) ? 0f : Math.Clamp(m, 0f, 1f);
        }
    }

    private void Probe(string fileName)
    {
        var blank = new float[Input.Size];
        IDisposableReadOnlyCollection<OrtValue> outputs;
        try
        {
            outputs = _session.Run(blank);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException(fileName, "(model)", "probe inference failed: " + ExecutionProviders.FirstLine(ex.Message), ex);
        }

        using (outputs)
        {
            long[] shape = outputs[0].GetTensorTypeAndShape().Shape;
            if (shape.Length != 4 || shape[0] != 1 || shape[1] != 1 || shape[2] < 1 || shape[3] < 1)
            {
                throw new ModelLoadException(fileName, "outputs." + _session.OutputName, $"produced shape [{string.Join(", ", shape)}], expected [1, 1, h, w]");
            }

            MapHeight = (int)shape[2];
            MapWidth = (int)shape[3];
            if (MapHeight > Input.Height || MapWidth > Input.Width)
            {
                throw new ModelLoadException(fileName, "outputs." + _session.OutputName, $"map {MapHeight}x{MapWidth} is larger than the input {Input.Height}x{Input.Width}");
            }
        }
    }

}
