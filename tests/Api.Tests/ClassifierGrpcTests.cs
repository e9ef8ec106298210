using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using SnnServe.Contracts.V1;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

public sealed class ClassifierGrpcTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly float[] Input = SyntheticModel.RandomInput(ServerFixture.Model, 55);

    private Classifier.ClassifierClient Client() => new(GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}"));

    private static ClassifyRequest Request(float[] input) =>
        new() { Model = "synthetic", Input = { input }, Options = new ClassifyOptions { Seed = 2, MaxTimesteps = 7 } };

    [Fact]
    public async Task Classify_SameAnswerAsRest_AndStreamEndsWithIt()
    {
        var client = Client();
        ClassifyResponse unary = await client.ClassifyAsync(Request(Input));
        JsonElement rest = await server.Client.PostOkAsync("/v1/models/synthetic/classify", new { input = Input, options = new { seed = 2, max_timesteps = 7 } });
        Assert.Equal(rest.GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle()), unary.Probabilities);
        Assert.Equal(rest.GetProperty("exit_reason").GetString(), unary.ExitReason);

        var updates = new List<TimestepUpdate>();
        using var call = client.ClassifyStream(Request(Input));
        await foreach (TimestepUpdate u in call.ResponseStream.ReadAllAsync())
        {
            updates.Add(u);
        }

        Assert.Equal(Enumerable.Range(1, unary.ExitTimestep), updates.Select(u => u.Timestep));
        Assert.All(updates[..^1], u => Assert.Null(u.Result));
        Assert.Equal(unary.Probabilities, updates[^1].Result.Probabilities);
        Assert.Equal(unary.Spikes, updates.Sum(u => u.LayerSpikes.Sum()));
    }

    [Fact]
    public async Task ListModels_DescribesTheModel()
    {
        ListModelsResponse models = await Client().ListModelsAsync(new ListModelsRequest());
        ModelInfo model = Assert.Single(models.Models);
        Assert.Equal(("synthetic", 1L, "snn"), (model.Name, model.Version, model.Platform));
        Assert.Equal([1, 12, 12], model.InputShape);
        ModelInfo described = await Client().DescribeModelAsync(new DescribeModelRequest { Name = "synthetic", Version = 1 });
        Assert.Equal(model, described);
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await Client().DescribeModelAsync(new DescribeModelRequest { Name = "ghost" }));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("ghost", 0, 144, StatusCode.NotFound)]
    [InlineData("synthetic", 4, 144, StatusCode.NotFound)]
    [InlineData("synthetic", -1, 144, StatusCode.InvalidArgument)]
    [InlineData("synthetic", 0, 10, StatusCode.InvalidArgument)]
    [InlineData("../x", 0, 144, StatusCode.InvalidArgument)]
    public async Task BadClassify_StatusCode_BothRpcs(string model, long version, int length, StatusCode status)
    {
        var client = Client();
        var request = new ClassifyRequest { Model = model, Version = version, Input = { Input.Take(length) } };
        Assert.Equal(status, (await Assert.ThrowsAsync<RpcException>(async () => await client.ClassifyAsync(request))).StatusCode);
        using var call = client.ClassifyStream(request);
        Assert.Equal(status, (await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext())).StatusCode);
        Assert.NotEmpty((await client.ClassifyAsync(Request(Input))).Probabilities);
    }
}
