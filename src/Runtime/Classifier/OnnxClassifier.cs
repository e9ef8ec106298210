using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Network;
using SnnServe.Runtime.Scout;

namespace SnnServe.Runtime.Classifier;

/// <summary>
/// A conventional (non-spiking) classifier in ONNX — the <c>onnx</c> platform of the model
/// repository, used for the ANN baselines: input [N, C, H, W] float32 → logits [N, K]. One
/// session per model, created once, checked at load by a probe inference.
/// </summary>
public sealed class OnnxClassifier : IDisposable
{
    private readonly SingleTensorSession _session;

    private OnnxClassifier(InferenceSession session, string provider, Shape3 input, int classes, string inputName, string outputName)
    {
        _session = new SingleTensorSession(session, inputName, outputName, input);
        ExecutionProvider = provider;
        Classes = classes;
    }

    public string ExecutionProvider { get; }
    public int Classes { get; }

    /// <summary>Loads and checks a classifier; errors name <paramref name="fileName"/>.</summary>
    public static OnnxClassifier Load(byte[] modelBytes, string fileName, Shape3 input, int classes, bool preferCuda, ILogger logger)
    {
        InferenceSession session = ExecutionProviders.CreateSession(modelBytes, fileName, preferCuda, logger, out string provider);
        try
        {
            var (inputName, inputMeta) = session.InputMetadata.First();
            if (session.InputMetadata.Count != 1 || inputMeta.ElementDataType != TensorElementType.Float || inputMeta.Dimensions.Length != 4)
            {
                throw new ModelLoadException(fileName, "inputs", "expected exactly one float32 input [N, C, H, W]");
            }

            var (outputName, _) = session.OutputMetadata.First();
            var classifier = new OnnxClassifier(session, provider, input, classes, inputName, outputName);
            var probe = new float[classes];
            try
            {
                classifier.Run(new float[input.Size], probe);
            }
            catch (SnnServeException ex)
            {
                throw new ModelLoadException(fileName, "outputs." + outputName, ex.Message, ex);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new ModelLoadException(fileName, "(model)", "probe inference on a " + input + " input failed: " + ExecutionProviders.FirstLine(ex.Message), ex);
            }

            return classifier;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Writes the logits of one input (channel-first) into <paramref name="logits"/>. Thread-safe.</summary>
    public void Run(float[] inputChw, Span<float> logits)
    {
        using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(inputChw);
        ReadOnlySpan<float> values = outputs[0].GetTensorDataAsSpan<float>();
        if (values.Length != Classes)
        {
            throw new SnnServeException(ErrorKind.InvalidModel, $"produced {values.Length} logits, the manifest has {Classes} labels");
        }

        values.CopyTo(logits);
    }

    public void Dispose() => _session.Dispose();
}
