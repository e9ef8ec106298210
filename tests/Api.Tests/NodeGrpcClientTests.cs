using System.Diagnostics;
using System.Text.Json;
using Grpc.Net.Client;
using SnnServe.Contracts.Inference;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

/// <summary>
/// Wire compatibility with a client that is not .NET: Node's @grpc/grpc-js (installed by this test
/// with `npm ci` from tests/Api.Tests/node when missing) loads the .proto and calls the KServe
/// service; its answers must equal the .NET client's.
/// </summary>
public sealed class NodeGrpcClientTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task NodeGrpcJs_ModelInfer_SameAnswerAsDotNetClient()
    {
        string root = FindRepositoryRoot();
        string clientFolder = Path.Combine(root, "tests", "Api.Tests", "node");
        if (!Directory.Exists(Path.Combine(clientFolder, "node_modules", "@grpc", "grpc-js")))
        {
            Run("npm", "ci --no-audit --no-fund", clientFolder, TimeSpan.FromMinutes(5));
        }

        float[] input = SyntheticModel.RandomInput(ServerFixture.Model, 61);
        string inputFile = Path.Combine(Path.GetTempPath(), $"snnserve-node-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(inputFile, JsonSerializer.Serialize(input));
        string output;
        try
        {
            string proto = Path.Combine(root, "src", "Contracts", "inference", "grpc_predict_v2.proto");
            output = Run("node", $"client.mjs {server.GrpcPort} \"{proto}\" synthetic \"{inputFile}\"", clientFolder, TimeSpan.FromMinutes(1));
        }
        finally
        {
            File.Delete(inputFile);
        }

        JsonElement node = JsonDocument.Parse(output).RootElement;
        var request = new ModelInferRequest { ModelName = "synthetic" };
        request.Parameters["seed"] = new InferParameter { Int64Param = 4 };
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Shape = { 1, 1, 12, 12 }, Contents = new InferTensorContents() };
        tensor.Contents.Fp32Contents.AddRange(input);
        request.Inputs.Add(tensor);
        ModelInferResponse dotnet = await new GRPCInferenceService.GRPCInferenceServiceClient(GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}")).ModelInferAsync(request);

        Assert.True(node.GetProperty("live").GetBoolean());
        Assert.Equal("snnserve_snn", node.GetProperty("platform").GetString());
        Assert.Equal("node-1", node.GetProperty("id").GetString());
        Assert.Equal(dotnet.Outputs.Single(o => o.Name == "probabilities").Contents.Fp32Contents, node.GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle()));
        Assert.Equal(dotnet.Outputs.Single(o => o.Name == "label").Contents.BytesContents[0].ToStringUtf8(), node.GetProperty("label").GetString());
        Assert.Equal(dotnet.Outputs.Single(o => o.Name == "exit_timestep").Contents.IntContents[0], node.GetProperty("exit_timestep").GetInt32());
        Assert.Equal((int)Grpc.Core.StatusCode.NotFound, node.GetProperty("not_found_code").GetInt32());
    }

    private static string Run(string program, string arguments, string folder, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(program, arguments) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {arguments} did not finish in {timeout}");
        }

        Assert.True(process.ExitCode == 0, $"{program} {arguments} exited {process.ExitCode}:\n{stderr.Result}\n{stdout.Result}");
        return stdout.Result;
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "SnnServe.sln")))
            {
                return d.FullName;
            }
        }

        throw new DirectoryNotFoundException("SnnServe.sln not found above " + AppContext.BaseDirectory);
    }
}
