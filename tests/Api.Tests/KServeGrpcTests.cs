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

        float[] Probabilities(ModelInferResponse r) => r.Outputs.Single(o => o.Name == "probabilities").Contents.Fp32Contents.ToArray();
        Assert.Equal(Probabilities(fp32), Probabilities(raw));
        JsonElement rest = await (await server.Client.PostAsJsonAsync("/v1/models/synthetic/classify", new { input = Input, options = new { seed = 4, max_timesteps = 6 } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(rest.GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle()), Probabilities(fp32));
        Assert.Equal(rest.GetProperty("exit_timestep").GetInt32(), fp32.Outputs.Single(o => o.Name == "exit_timestep").Contents.IntContents[0]);
        Assert.Equal(rest.GetProperty("label").GetString(), fp32.Outputs.Single(o => o.Name == "label").Contents.BytesContents[0].ToStringUtf8());
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
