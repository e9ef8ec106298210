using System.Runtime.CompilerServices;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using SnnServe.Runtime.Network;
using SnnServe.Runtime.Scout;

namespace SnnServe.Runtime.Kernels;

/// <summary>
/// The ONNX step-graph backend: for each network it meets, generates the one-timestep graph
/// (<see cref="StepGraphBuilder"/>) and runs it with ONNX Runtime, on CUDA when available and
/// preferred, else on the CPU (logged once, see <see cref="ExecutionProviders"/>). A batch of
/// request states is packed into [B, N] tensors, stepped in one call and unpacked. Accounting
/// (spikes, synaptic operations, MACs) follows the event-driven kernel's rules, so answers report
/// the same costs; the arithmetic is ORT's (dense, in its own summation order), so values agree
/// with the CPU kernel to float rounding, not bit for bit.
/// </summary>
public sealed class OnnxStepKernel(bool preferCuda, ILogger logger) : INetworkKernel
{
    private readonly ConditionalWeakTable<SnnNetwork, StepSession> _sessions = new();

    public string Name => "onnx-step-graph";

    /// <summary>The execution provider of the most recently created session.</summary>
    public string? ExecutionProvider { get; private set; }

    public void Step(SnnNetwork network, NetworkState state) => StepBatch(network, new[] { state });

    public void StepBatch(SnnNetwork network, ReadOnlySpan<NetworkState> states)
    {
        if (states.IsEmpty)
        {
            return;
        }

        StepSession session = _sessions.GetValue(network, n =>
        {
            var created = new StepSession(n, StepGraphBuilder.Build(n).ToByteArray(), preferCuda, logger);
            ExecutionProvider = created.Provider;
            return created;
        });
        session.Run(states);
    }

    /// <summary>One network's session and its packing buffers (one batch at a time).</summary>
    private sealed class StepSession
    {
        private static readonly RunOptions s_runOptions = new();
        private readonly SnnNetwork _network;
        private readonly InferenceSession _session;
        private readonly int[] _spiking;
        private readonly string[] _inputNames;
        private readonly string[] _outputNames;
        private readonly int[] _inputSizes;
        private readonly int[] _outputSizes;
        private readonly object _gate = new();
        private float[][] _inputs = [];
        private float[][] _outputs = [];
        private int _capacity;

        public StepSession(SnnNetwork network, byte[] graph, bool preferCuda, ILogger logger)
        {
            _network = network;
            _session = ExecutionProviders.CreateSession(graph, "(step graph)", preferCuda, logger, out string provider);
            Provider = provider;
            _spiking = Enumerable.Range(0, network.Hidden.Count).Where(l => network.Hidden[l] is SpikingLayer).ToArray();
            var inputs = new List<(string, int)> { ("x", network.Input.Size), ("bias0", network.Hidden[0].Output.Size) };
            var outputs = new List<(string, int)>();
            foreach (int l in _spiking)
            {
                int n = network.Hidden[l].Output.Size;
                inputs.AddRange([($"v{l}", n), ($"a{l}", n), ($"s{l}", n)]);
                outputs.AddRange([($"v{l}.next", n), ($"a{l}.next", n), ($"s{l}.next", n)]);
            }

            inputs.AddRange([("u", network.Classes), ("usum", network.Classes)]);
            outputs.AddRange([("u.next", network.Classes), ("usum.next", network.Classes), ("ops", OpsColumns)]);
            _inputNames = inputs.Select(i => i.Item1).ToArray();
            _inputSizes = inputs.Select(i => i.Item2).ToArray();
            _outputNames = outputs.Select(o => o.Item1).ToArray();
            _outputSizes = outputs.Select(o => o.Item2).ToArray();
        }

        public string Provider { get; }

        // One column per synapse after the first: the hidden layers l > 0 that are spiking, and the readout.
        private int OpsColumns => _spiking.Count(l => l > 0) + 1;

        public void Run(ReadOnlySpan<NetworkState> states)
        {
            lock (_gate)
            {
                int batch = states.Length;
                EnsureCapacity(batch);
                for (int b = 0; b < batch; b++)
                {
                    Pack(states[b], b);
                }

                var inputValues = new OrtValue[_inputNames.Length];
                var outputValues = new OrtValue[_outputNames.Length];
                try
                {
                    for (int i = 0; i < inputValues.Length; i++)
                    {
                        inputValues[i] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _inputs[i].AsMemory(0, batch * _inputSizes[i]), [batch, _inputSizes[i]]);
                    }

                    for (int o = 0; o < outputValues.Length; o++)
                    {
                        outputValues[o] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _outputs[o].AsMemory(0, batch * _outputSizes[o]), [batch, _outputSizes[o]]);
                    }

                    _session.Run(s_runOptions, _inputNames, inputValues, _outputNames, outputValues);
                }
                finally
                {
                    foreach (OrtValue? value in inputValues)
                    {
                        value?.Dispose();
                    }

                    foreach (OrtValue? value in outputValues)
                    {
                        value?.Dispose();
                    }
                }

                for (int b = 0; b < batch; b++)
                {
                    Unpack(states[b], b);
                }
            }
        }

        private void EnsureCapacity(int batch)
        {
            if (batch <= _capacity)
            {
                return;
            }

            _capacity = Math.Max(batch, _capacity * 2);
            _inputs = _inputSizes.Select(n => new float[_capacity * n]).ToArray();
            _outputs = _outputSizes.Select(n => new float[_capacity * n]).ToArray();
        }

        private void Pack(NetworkState state, int b)
        {
            if (state.Timestep == 0)
            {
                state.ClearLayers();
            }

            Copy(state.Input, 0, b);
            Copy(state.FirstLayerBias, 1, b);
            int i = 2;
            foreach (int l in _spiking)
            {
                LayerState layer = state.Layers[l];
                Copy(layer.V, i++, b);
                Copy(layer.A, i++, b);
                Copy(layer.Out, i++, b);
            }

            Copy(state.Readout, i++, b);
            Copy(state.ReadoutSum, i, b);

            // The first synapse's cost, as the event-driven kernel counts it: once per distinct input.
            if (!(state.InputStatic && state.FirstLayerCacheValid))
            {
                int[] fanOut = ((SpikingLayer)_network.Hidden[0]).Synapse.FanOut;
                long ops = 0;
                for (int e = 0; e < state.InputEventCount; e++)
                {
                    ops += fanOut[state.InputEvents[e]];
                }

                EventDrivenKernel.Account(state, ops, state.InputBinary);
                state.FirstLayerCacheValid = state.InputStatic;
            }
        }

        private void Copy(float[] source, int input, int b) => source.AsSpan().CopyTo(_inputs[input].AsSpan(b * _inputSizes[input], _inputSizes[input]));

        private ReadOnlySpan<float> Output(int output, int b) => _outputs[output].AsSpan(b * _outputSizes[output], _outputSizes[output]);

        private void Unpack(NetworkState state, int b)
        {
            int o = 0;
            foreach (int l in _spiking)
            {
                LayerState layer = state.Layers[l];
                Output(o++, b).CopyTo(layer.V);
                Output(o++, b).CopyTo(layer.A);
                Output(o++, b).CopyTo(layer.Out);
                layer.EventCount = VectorMath.CollectNonZero(layer.Out, layer.Events);
                state.SpikesPerLayer[l] += layer.EventCount;
            }

            Output(o++, b).CopyTo(state.Readout);
            Output(o++, b).CopyTo(state.ReadoutSum);
            ReadOnlySpan<float> ops = Output(o, b);
            int column = 0;
            for (int l = 1; l <= _network.Hidden.Count; l++)
            {
                if (l < _network.Hidden.Count && _network.Hidden[l] is not SpikingLayer)
                {
                    continue;
                }

                bool binary = _network.Hidden[l - 1] is not PoolLayer { Kind: PoolKind.Average };
                EventDrivenKernel.Account(state, (long)ops[column++], binary);
            }

            state.Timestep++;
        }
    }
}
