using System.Text.Json;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using SnnServe.Contracts.Inference;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

/// <summary>A server over the bundled model repository (models/ of the checkout).</summary>
public sealed class BundledServerFixture : ServerFixture
{
    public static string Root => BundledData.Root;

    protected override void Configure(WebApplicationBuilder builder) =>
        builder.Configuration["SnnServe:Models:RepositoryPath"] = BundledData.Models;
}

/// <summary>
/// Accuracy through the service (KServe gRPC, batches of 64) on the 1,996-image test split equals the
/// runtime's own evaluation recorded in each bundled model's manifest (provenance.test_accuracy).
/// </summary>
public sealed class ServiceAccuracyTests(BundledServerFixture server) : IClassFixture<BundledServerFixture>
{
    [Theory]
    [InlineData("mnist-alif")]
    [InlineData("mnist-ann")]
    public async Task TestSplitAccuracyThroughGrpc_EqualsManifest(string model)
    {
        var (images, labels) = BundledData.TestSplit();
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}"));
        int correct = 0;
        for (int start = 0; start < labels.Length; start += 64)
        {
            int n = Math.Min(64, labels.Length - start);
            var tensor = new ModelInferRequest.Types.InferInputTensor { Name = "image", Datatype = "FP32", Shape = { n, 1, 28, 28 }, Contents = new InferTensorContents() };
            tensor.Contents.Fp32Contents.AddRange(images.AsSpan(start * 784, n * 784).ToArray());
            var request = new ModelInferRequest { ModelName = model, Inputs = { tensor }, Outputs = { new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "label_index" } } };
            ModelInferResponse response = await client.ModelInferAsync(request);
            long[] predicted = response.Outputs[0].Contents.Int64Contents.ToArray();
            correct += predicted.Where((p, k) => p == labels[start + k]).Count();
        }

        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(BundledServerFixture.Root, "models", model, "1", "model.json")));
        double expected = manifest.RootElement.GetProperty("provenance").GetProperty("test_accuracy").GetDouble();
        Assert.Equal(1996, labels.Length);
        Assert.Equal(expected, Math.Round((double)correct / labels.Length, 5));
    }
}
