using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using SnnServe.Contracts.Inference;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

public sealed class KServeGrpcTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly float[] Input = SyntheticModel.RandomInput(ServerFixture.Model, 77);

    private GRPCInferenceService.GRPCInferenceServiceClient Client() =>
        new(GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}"));

    private static ModelInferRequest Request(float[] data, long batch = 1, string model = "synthetic")
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Shape = { batch, 1, 12, 12 }, Contents = new InferTensorContents() };
        input.Contents.Fp32Contents.AddRange(data);
        var request = new ModelInferRequest { ModelName = model, Inputs = { input } };
        request.Parameters["seed"] = new InferParameter { Int64Param = 4 };
        request.Parameters["max_timesteps"] = new InferParameter { Int64Param = 6 };
        return request;
    }

    [Fact]
    public async Task HealthAndMetadata()
    {
        var client = Client();
        Assert.True((await client.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await client.ServerReadyAsync(new ServerReadyRequest())).Ready);
        Assert.True((await client.ModelReadyAsync(new ModelReadyRequest { Name = "synthetic", Version = "1" })).Ready);
        Assert.Equal("snnserve", (await client.ServerMetadataAsync(new ServerMetadataRequest())).Name);
        ModelMetadataResponse meta = await client.ModelMetadataAsync(new ModelMetadataRequest { Name = "synthetic" });
        Assert.Equal("snnserve_snn", meta.Platform);
        Assert.Equal([-1L, 1, 12, 12], meta.Inputs[0].Shape);
        Assert.Contains(meta.Outputs, o => o.Name == "exit_timestep" && o.Datatype == "INT32");
    }

    [Fact]
    public async Task ModelInfer_Fp32AndRawContents_SameAnswerAsRest()
    {
        var client = Client();
        ModelInferResponse fp32 = await client.ModelInferAsync(Request(Input));
        ModelInferRequest rawRequest = Request([]);
        rawRequest.Inputs[0].Contents = null;
        rawRequest.RawInputContents.Add(ByteString.CopyFrom(Input.SelectMany(BitConverter.GetBytes).ToArray()));
        ModelInferResponse raw = await client.ModelInferAsync(rawRequest);

        // A raw request gets raw outputs (no typed contents), in the order of `outputs`, holding the
        // same values bit for bit as the typed answer.
        Assert.Equal(fp32.Outputs.Select(o => o.Name), raw.Outputs.Select(o => o.Name));
        Assert.All(raw.Outputs, o => Assert.Null(o.Contents));
        Assert.Equal(raw.Outputs.Count, raw.RawOutputContents.Count);
        for (int i = 0; i < raw.Outputs.Count; i++)
        {
            Assert.Equal(fp32.Outputs[i].Datatype, raw.Outputs[i].Datatype);
            Assert.Equal(fp32.Outputs[i].Shape, raw.Outputs[i].Shape);
            Assert.Equal(TypedAsText(fp32.Outputs[i]), RawAsText(raw.Outputs[i].Datatype, raw.RawOutputContents[i].ToByteArray()));
        }

        float[] Probabilities(ModelInferResponse r) => r.Outputs.Single(o => o.Name == "probabilities").Contents.Fp32Contents.ToArray();
        JsonElement rest = await (await server.Client.PostAsJsonAsync("/v1/models/synthetic/classify", new { input = Input, options = new { seed = 4, max_timesteps = 6 } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(rest.GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle()), Probabilities(fp32));
        Assert.Equal(rest.GetProperty("exit_timestep").GetInt32(), fp32.Outputs.Single(o => o.Name == "exit_timestep").Contents.IntContents[0]);
        Assert.Equal(rest.GetProperty("label").GetString(), fp32.Outputs.Single(o => o.Name == "label").Contents.BytesContents[0].ToStringUtf8());
    }

    // The elements of a typed output, as exact text (floats by their bits).
    private static string[] TypedAsText(ModelInferResponse.Types.InferOutputTensor o) => o.Datatype switch
    {
        "FP32" => o.Contents.Fp32Contents.Select(v => BitConverter.SingleToInt32Bits(v).ToString()).ToArray(),
        "FP64" => o.Contents.Fp64Contents.Select(v => BitConverter.DoubleToInt64Bits(v).ToString()).ToArray(),
        "INT64" => o.Contents.Int64Contents.Select(v => v.ToString()).ToArray(),
        "INT32" => o.Contents.IntContents.Select(v => v.ToString()).ToArray(),
        "BYTES" => o.Contents.BytesContents.Select(v => v.ToStringUtf8()).ToArray(),
        _ => throw new InvalidOperationException(o.Datatype),
    };

    // The elements of a raw output decoded per the KServe v2 layout: little-endian, row-major;
    // BYTES as a uint32 length then the bytes, per element.
    private static string[] RawAsText(string datatype, byte[] b)
    {
        switch (datatype)
        {
            case "FP32":
            case "INT32":
                Assert.Equal(0, b.Length % 4);
                return Enumerable.Range(0, b.Length / 4).Select(i => System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(i * 4)).ToString()).ToArray();
            case "FP64":
            case "INT64":
                Assert.Equal(0, b.Length % 8);
                return Enumerable.Range(0, b.Length / 8).Select(i => System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(i * 8)).ToString()).ToArray();
            case "BYTES":
                var items = new List<string>();
                for (int at = 0; at < b.Length;)
                {
                    int length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));
                    items.Add(System.Text.Encoding.UTF8.GetString(b, at + 4, length));
                    at += 4 + length;
                }

                return items.ToArray();
            default:
                throw new InvalidOperationException(datatype);
        }
    }

    [Fact]
    public async Task ModelInfer_RawBatch2_RequestedOutputs_RawInRequestedOrder()
    {
        float[] second = SyntheticModel.RandomInput(ServerFixture.Model, 78);
        ModelInferRequest typed = Request([.. Input, .. second], batch: 2);
        ModelInferRequest raw = Request([], batch: 2);
        raw.Inputs[0].Contents = null;
        raw.RawInputContents.Add(ByteString.CopyFrom(Input.Concat(second).SelectMany(BitConverter.GetBytes).ToArray()));
        foreach (ModelInferRequest r in new[] { typed, raw })
        {
            r.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "label" });
            r.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "probabilities" });
            r.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "exit_timestep" });
        }

        ModelInferResponse a = await Client().ModelInferAsync(typed), b = await Client().ModelInferAsync(raw);

        Assert.Equal(["label", "probabilities", "exit_timestep"], b.Outputs.Select(o => o.Name));
        Assert.Equal(3, b.RawOutputContents.Count);
        Assert.Equal(2 * 10 * 4, b.RawOutputContents[1].Length);
        Assert.Equal(2 * 4, b.RawOutputContents[2].Length);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(TypedAsText(a.Outputs[i]), RawAsText(b.Outputs[i].Datatype, b.RawOutputContents[i].ToByteArray()));
        }

        Assert.Equal(2, RawAsText("BYTES", b.RawOutputContents[0].ToByteArray()).Length);
    }

    [Fact]
    public async Task ModelInfer_Batch2_RequestedOutputs_IdEchoed()
    {
        ModelInferRequest request = Request([.. Input, .. SyntheticModel.RandomInput(ServerFixture.Model, 78)], batch: 2);
        request.Id = "grpc-9";
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "spikes" });
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "probabilities" });

        ModelInferResponse response = await Client().ModelInferAsync(request);

        Assert.Equal("grpc-9", response.Id);
        Assert.Equal(["spikes", "probabilities"], response.Outputs.Select(o => o.Name));
        Assert.Equal([2L], response.Outputs[0].Shape);
        Assert.Equal([2L, 10], response.Outputs[1].Shape);
        Assert.Equal(20, response.Outputs[1].Contents.Fp32Contents.Count);
    }

    public static TheoryData<string, StatusCode, string> BadRequests() => new()
    {
        { "unknown-model", StatusCode.NotFound, "not loaded" },
        { "unknown-version", StatusCode.NotFound, "no version 5" },
        { "bad-version", StatusCode.InvalidArgument, "not a positive integer" },
        { "hostile-name", StatusCode.InvalidArgument, "invalid model name" },
        { "wrong-shape", StatusCode.InvalidArgument, "does not match the model's" },
        { "wrong-datatype", StatusCode.InvalidArgument, "datatype is INT32" },
        { "nan", StatusCode.InvalidArgument, "is NaN" },
        { "short-data", StatusCode.InvalidArgument, "the shape needs 144" },
        { "raw-misaligned", StatusCode.InvalidArgument, "little-endian float32" },
        { "raw-and-contents", StatusCode.InvalidArgument, "not both" },
        { "no-data", StatusCode.InvalidArgument, "input has no data" },
        { "two-inputs", StatusCode.InvalidArgument, "exactly one tensor" },
        { "unknown-output", StatusCode.InvalidArgument, "unknown output 'logits'" },
        { "parameter-type", StatusCode.InvalidArgument, "parameter 'seed' must be an int64" },
        { "threshold-range", StatusCode.InvalidArgument, "must lie in [0, 1]" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadModelInfer_StatusCode_ServerStillServes(string kind, StatusCode status, string message)
    {
        ModelInferRequest request = Request(Input);
        switch (kind)
        {
            case "unknown-model": request.ModelName = "ghost"; break;
            case "unknown-version": request.ModelVersion = "5"; break;
            case "bad-version": request.ModelVersion = "v1"; break;
            case "hostile-name": request.ModelName = "../etc"; break;
            case "wrong-shape": request.Inputs[0].Shape[2] = 11; break;
            case "wrong-datatype": request.Inputs[0].Datatype = "INT32"; break;
            case "nan": request.Inputs[0].Contents.Fp32Contents[3] = float.NaN; break;
            case "short-data": request.Inputs[0].Contents.Fp32Contents.RemoveAt(0); break;
            case "raw-misaligned": request.Inputs[0].Contents = null; request.RawInputContents.Add(ByteString.CopyFrom(new byte[7])); break;
            case "raw-and-contents": request.RawInputContents.Add(ByteString.CopyFrom(new byte[576])); break;
            case "no-data": request.Inputs[0].Contents = null; break;
            case "two-inputs": request.Inputs.Add(request.Inputs[0].Clone()); break;
            case "unknown-output": request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "logits" }); break;
            case "parameter-type": request.Parameters["seed"] = new InferParameter { StringParam = "four" }; break;
            case "threshold-range": request.Parameters["exit_threshold"] = new InferParameter { StringParam = "1.5" }; break;
        }

        var client = Client();
        RpcException error = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelInferAsync(request));

        Assert.Equal(status, error.StatusCode);
        Assert.Contains(message, error.Status.Detail);
        Assert.NotEmpty((await client.ModelInferAsync(Request(Input))).Outputs);
    }
}
