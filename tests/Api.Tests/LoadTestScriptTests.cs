using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

/// <summary>
/// k6 cannot run here: check that the k6 scripts parse (node --check, as ES modules), that every
/// file they open and every proto they load exists, and that the payloads are real test digits the
/// bundled model answers as labelled (easy ones at timestep 1, hard ones later).
/// </summary>
public sealed partial class LoadTestScriptTests
{
    private static readonly string K6 = Path.Combine(BundledData.Root, "loadtests", "k6");

    public static TheoryData<string> Scripts => ["rest.js", "grpc.js", "common.js"];

    [Theory]
    [MemberData(nameof(Scripts))]
    public void K6Script_Parses_AndItsFilesExist(string script)
    {
        string path = Path.Combine(K6, script);
        var start = new ProcessStartInfo("node", ["--check", path]) { RedirectStandardError = true };
        using Process node = Process.Start(start)!;
        string errors = node.StandardError.ReadToEnd();
        node.WaitForExit();
        Assert.True(node.ExitCode == 0, errors);

        string source = File.ReadAllText(path);
        foreach (Match open in OpenCall().Matches(source))
        {
            Assert.True(File.Exists(Path.Combine(K6, open.Groups[1].Value)), $"{script} opens a missing file {open.Groups[1].Value}");
        }

        if (script == "grpc.js")
        {
            Match load = ProtoLoad().Match(source);
            Assert.True(load.Success, "grpc.js must load the KServe proto");
            Assert.True(File.Exists(Path.Combine(K6, load.Groups[1].Value, load.Groups[2].Value)), "the proto grpc.js loads must exist");
            Assert.Contains("inference.GRPCInferenceService/ModelInfer", source);
        }

        if (script != "common.js")
        {
            Assert.Contains("constant-arrival-rate", File.ReadAllText(Path.Combine(K6, "common.js")));
            Assert.Contains("new Trend('exit_timestep')", source);
            Assert.Contains("new Trend('spikes')", source);
        }
    }

    [Fact]
    public void Payloads_AreRealTestDigits_EasyAndHard()
    {
        using JsonDocument digits = JsonDocument.Parse(File.ReadAllText(Path.Combine(BundledData.Root, "loadtests", "payloads", "digits.json")));
        var (images, labels) = BundledData.TestSplit();
        var kinds = new Dictionary<string, int>();
        foreach (JsonElement d in digits.RootElement.EnumerateArray())
        {
            int index = d.GetProperty("test_index").GetInt32();
            float[] input = d.GetProperty("input").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(784, input.Length);
            Assert.Equal(labels[index], d.GetProperty("label").GetInt32());
            for (int i = 0; i < 784; i++)
            {
                Assert.Equal(images[index * 784 + i], input[i], 0.0006f);
            }

            string kind = d.GetProperty("difficulty").GetString()!;
            Assert.Equal(kind == "easy", d.GetProperty("exit_timestep").GetInt32() == 1);
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }

        Assert.True(kinds["easy"] >= 8 && kinds["hard"] >= 8);
    }

    [Theory]
    [InlineData("kserve-infer-easy.grpc", "easy", false)]
    [InlineData("kserve-infer-hard.grpc", "hard", false)]
    [InlineData("kserve-infer-easy-raw.grpc", "easy", true)]
    [InlineData("kserve-infer-hard-raw.grpc", "hard", true)]
    public void GrpcPayloads_AreFramedModelInferRequests_OfTheFirstDigitOfTheirKind(string file, string kind, bool raw)
    {
        string folder = Path.Combine(BundledData.Root, "loadtests", "payloads");
        byte[] frame = File.ReadAllBytes(Path.Combine(folder, file));
        Assert.Equal(0, frame[0]); // uncompressed
        Assert.Equal(frame.Length - 5, (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1)));
        var request = SnnServe.Contracts.Inference.ModelInferRequest.Parser.ParseFrom(frame.AsSpan(5));
        Assert.Equal("mnist-alif", request.ModelName);
        Assert.Equal([1L, 1, 28, 28], Assert.Single(request.Inputs).Shape);
        float[] values = raw
            ? Enumerable.Range(0, Assert.Single(request.RawInputContents).Length / 4).Select(i => System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(request.RawInputContents[0].Span[(i * 4)..])).ToArray()
            : request.Inputs[0].Contents.Fp32Contents.ToArray();
        Assert.Equal(raw, request.Inputs[0].Contents is null);

        using JsonDocument digits = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "digits.json")));
        JsonElement digit = digits.RootElement.EnumerateArray().First(d => d.GetProperty("difficulty").GetString() == kind);
        Assert.Equal(digit.GetProperty("input").EnumerateArray().Select(v => v.GetSingle()), values);
    }

    [GeneratedRegex(@"open\('([^']+)'\)")]
    private static partial Regex OpenCall();

    [GeneratedRegex(@"client\.load\(\['([^']+)'\],\s*'([^']+)'\)")]
    private static partial Regex ProtoLoad();
}
