using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using SnnServe.Contracts.Inference;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Repository;

namespace SnnServe.Api;

/// <summary>
/// <c>inference.GRPCInferenceService</c> (KServe / Open Inference Protocol v2 over gRPC): liveness,
/// readiness, metadata and <c>ModelInfer</c> with <c>fp32_contents</c> or <c>raw_input_contents</c>,
/// batch ≥ 1, requested outputs, request parameters and the call deadline as an anytime deadline.
/// Errors map through <see cref="ErrorMapping"/> (INVALID_ARGUMENT, NOT_FOUND, DEADLINE_EXCEEDED, …).
/// </summary>
public sealed class KServeGrpcService(IInferenceEngine engine, ModelRepository repository, ServerReadiness readiness)
    : GRPCInferenceService.GRPCInferenceServiceBase
{
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = readiness.IsReady });

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) =>
        Guard(() => new ModelReadyResponse { Ready = !Resolve(request.Name, request.Version).Retired });

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse { Name = "snnserve", Version = KServeProtocol.ServerVersion, Extensions = { KServeProtocol.Extensions } });

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context) => Guard(() =>
    {
        LoadedModel m = Resolve(request.Name, request.Version);
        var response = new ModelMetadataResponse { Name = m.Name, Platform = KServeProtocol.Platform(m) };
        response.Versions.AddRange(repository.Versions(m.Name).Select(v => v.ToString()));
        response.Inputs.Add(new ModelMetadataResponse.Types.TensorMetadata
        {
            Name = m.Input.Name, Datatype = "FP32", Shape = { -1, m.InputShape.Channels, m.InputShape.Height, m.InputShape.Width },
        });
        response.Outputs.AddRange(KServeProtocol.OutputNames.Select(o => new ModelMetadataResponse.Types.TensorMetadata
        {
            Name = o, Datatype = KServeProtocol.DataType(o), Shape = { KServeProtocol.Shape(o, -1, m.Classes) },
        }));
        return response;
    });

    public override Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context) => GuardAsync(async () =>
    {
        LoadedModel model = Resolve(request.ModelName, request.ModelVersion);
        if (request.Inputs.Count != 1)
        {
            throw KServeProtocol.Invalid($"'inputs' must hold exactly one tensor (model '{model.Name}' has one input, '{model.Input.Name}')");
        }

        ModelInferRequest.Types.InferInputTensor input = request.Inputs[0];
        int batch = KServeProtocol.CheckInput(model, input.Datatype, input.Shape);
        float[] data = ReadData(input, request.RawInputContents);
        string[] outputs = KServeProtocol.CheckOutputs(request.Outputs.Select(o => o.Name).ToArray());
        InferenceOptions options = ReadParameters(request.Parameters, context.Deadline);
        InferenceResult[] results = await KServeProtocol.InferBatchAsync(engine, model, data, batch, options, "kserve-grpc", request.Id, context.CancellationToken);

        var response = new ModelInferResponse { ModelName = model.Name, ModelVersion = model.Version.ToString(), Id = request.Id };
        // Outputs come back in the form the input came in: a client that sends raw_input_contents
        // gets raw_output_contents (as Triton answers), one that sends typed contents gets typed contents.
        bool raw = request.RawInputContents.Count > 0;
        foreach (string name in outputs)
        {
            var tensor = new ModelInferResponse.Types.InferOutputTensor { Name = name, Datatype = KServeProtocol.DataType(name) };
            tensor.Shape.AddRange(KServeProtocol.Shape(name, batch, model.Classes));
            Array values = KServeProtocol.Values(name, results);
            if (raw)
            {
                response.RawOutputContents.Add(RawBytes(values));
            }
            else
            {
                tensor.Contents = new InferTensorContents();
                switch (values)
                {
                    case float[] f: tensor.Contents.Fp32Contents.AddRange(f); break;
                    case double[] d: tensor.Contents.Fp64Contents.AddRange(d); break;
                    case long[] l: tensor.Contents.Int64Contents.AddRange(l); break;
                    case int[] i: tensor.Contents.IntContents.AddRange(i); break;
                    case string[] s: tensor.Contents.BytesContents.AddRange(s.Select(ByteString.CopyFromUtf8)); break;
                }
            }

            response.Outputs.Add(tensor);
        }

        return response;
    });

    /// <summary>
    /// One output's raw content: the row-major elements, little-endian, without padding; BYTES
    /// elements each as a little-endian uint32 length followed by their UTF-8 bytes (the KServe v2 /
    /// Triton layout).
    /// </summary>
    private static ByteString RawBytes(Array values)
    {
        byte[] bytes = values switch
        {
            float[] f => LittleEndian(f),
            double[] d => LittleEndian(d),
            long[] l => LittleEndian(l),
            int[] n => LittleEndian(n),
            string[] s => LengthPrefixed(s),
            _ => throw new ArgumentException($"no raw layout for {values.GetType().Name}", nameof(values)),
        };

        // The array is not touched again: wrap it instead of copying it.
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }

    private static byte[] LittleEndian<T>(T[] values)
        where T : unmanaged
    {
        byte[] bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            int size = Unsafe.SizeOf<T>();
            for (int i = 0; i < bytes.Length; i += size)
            {
                bytes.AsSpan(i, size).Reverse();
            }
        }

        return bytes;
    }

    private static byte[] LengthPrefixed(string[] values)
    {
        var bytes = new byte[values.Sum(e => 4 + Encoding.UTF8.GetByteCount(e))];
        int at = 0;
        foreach (string e in values)
        {
            int length = Encoding.UTF8.GetBytes(e, bytes.AsSpan(at + 4));
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), (uint)length);
            at += 4 + length;
        }

        return bytes;
    }

    private static float[] ReadData(ModelInferRequest.Types.InferInputTensor input, IReadOnlyList<ByteString> raw)
    {
        bool hasContents = input.Contents is { Fp32Contents.Count: > 0 };
        if (raw.Count > 0)
        {
            if (hasContents)
            {
                throw KServeProtocol.Invalid("give the input either as contents or as raw_input_contents, not both");
            }

            if (raw.Count != 1 || raw[0].Length % 4 != 0)
            {
                throw KServeProtocol.Invalid("raw_input_contents must hold one entry of little-endian float32 values");
            }

            ReadOnlySpan<byte> bytes = raw[0].Span;
            var values = new float[bytes.Length / 4];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
            }

            return values;
        }

        if (input.Contents is { } contents && (contents.IntContents.Count > 0 || contents.Fp64Contents.Count > 0 || contents.Int64Contents.Count > 0))
        {
            throw KServeProtocol.Invalid("FP32 input data must be in fp32_contents");
        }

        return hasContents ? input.Contents!.Fp32Contents.ToArray() : throw KServeProtocol.Invalid("input has no data (fp32_contents or raw_input_contents)");
    }

    private static InferenceOptions ReadParameters(IDictionary<string, InferParameter> p, DateTime deadline)
    {
        string? Text(string key) => p.TryGetValue(key, out var v) ? v.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.StringParam ? v.StringParam : throw KServeProtocol.Invalid($"parameter '{key}' must be a string") : null;
        long? Integer(string key) => p.TryGetValue(key, out var v) ? v.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.Int64Param ? v.Int64Param : throw KServeProtocol.Invalid($"parameter '{key}' must be an int64") : null;
        float? Number(string key) => p.TryGetValue(key, out var v)
            ? v.ParameterChoiceCase switch
            {
                InferParameter.ParameterChoiceOneofCase.StringParam when float.TryParse(v.StringParam, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float f) => f,
                InferParameter.ParameterChoiceOneofCase.Int64Param => v.Int64Param,
                _ => throw KServeProtocol.Invalid($"parameter '{key}' must be a number (as a string, e.g. \"0.9\")"),
            }
            : null;

        return new InferenceOptions
        {
            Policy = Text("exit_policy"),
            Threshold = Number("exit_threshold"),
            StableSteps = (int?)Integer("stable_steps"),
            MinTimesteps = (int?)Integer("min_timesteps"),
            MaxTimesteps = (int?)Integer("max_timesteps"),
            Source = Text("readout_source"),
            Seed = Integer("seed") is { } seed ? unchecked((ulong)seed) : null,
            Modulation = p.TryGetValue("modulation", out var m) ? m.BoolParam : null,
            Priority = (int?)Integer("priority"),
            Deadline = deadline == DateTime.MaxValue ? null : new DateTimeOffset(deadline.ToUniversalTime(), TimeSpan.Zero),
        };
    }

    private LoadedModel Resolve(string name, string version)
    {
        if (string.IsNullOrEmpty(version))
        {
            return repository.Resolve(name);
        }

        return long.TryParse(version, out long v) && v > 0
            ? repository.Resolve(name, v)
            : throw KServeProtocol.Invalid($"version '{version}' is not a positive integer");
    }

    private static async Task<T> GuardAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (SnnServeException ex)
        {
            throw ErrorMapping.Rpc(ex);
        }
    }

    private static Task<T> Guard<T>(Func<T> action)
    {
        try
        {
            return Task.FromResult(action());
        }
        catch (SnnServeException ex)
        {
            throw ErrorMapping.Rpc(ex);
        }
    }
}
