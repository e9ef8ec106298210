using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using SnnServe.Contracts.Inference;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

/// <summary>
/// A full scheduler queue sheds load at once, through both transports: REST answers 429 with a
/// Retry-After header and a JSON error body, gRPC answers RESOURCE_EXHAUSTED with retry-after /
/// grpc-retry-pushback-ms trailers; the admitted requests are all answered and the server serves on.
/// </summary>
public sealed class OverloadTests
{
    private sealed class OneSlotServer : ServerFixture
    {
        protected override void Configure(WebApplicationBuilder builder)
        {
            builder.Configuration["SnnServe:Models:MaxTimesteps"] = "100000000";
            builder.Configuration["SnnServe:Scheduler:Workers"] = "1";
            builder.Configuration["SnnServe:Scheduler:Slots"] = "1";
            builder.Configuration["SnnServe:Scheduler:QueueCapacity"] = "2";
            builder.Configuration["SnnServe:Scheduler:RetryAfterSeconds"] = "3";
            // Longer than the requests' deadlines: queued requests leave at their deadline, not as 429s.
            builder.Configuration["SnnServe:Scheduler:QueueTimeoutMilliseconds"] = "30000";
        }
    }

    [Fact]
    public async Task QueueFull_Rest429WithRetryAfter_GrpcResourceExhausted_AdmittedAnswered()
    {
        var server = new OneSlotServer();
        await server.InitializeAsync();
        try
        {
            float[] input = SyntheticModel.RandomInput(ServerFixture.Model, 1);
            // One request in the slot and two queued, each able to run until its anytime deadline (10 s).
            // The first is sent alone and must occupy the slot before the other two are sent: sent
            // together, all three can reach the queue before the worker admits one, and the third is
            // then refused (capacity 2). On a loaded CI machine (2 cores shared by the whole suite)
            // reaching the queue once took more than 3 s, so each wait allows 8 s.
            Task<HttpResponseMessage> Slow() => server.Client.PostAsJsonAsync("/v1/models/synthetic/classify",
                new { input, options = new { max_timesteps = 100_000_000, threshold = 1.0, timeout_ms = 10_000 } });
            var slow = new List<Task<HttpResponseMessage>> { Slow() };
            Func<Task<string>> describe = async () => string.Join('\n', (await server.Client.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics"))
                .Split('\n').Where(l => l.Contains("snnserve_queue") || l.Contains("requests_active")))
                + "\nslow requests: " + string.Join(", ", slow.Select(t => t.Status + (t.IsCompletedSuccessfully ? $" {t.Result.StatusCode}" : "")));
            await WaitUntil(async () => await Gauge(server, "snnserve_requests_active{") >= 1, describe);
            slow.Add(Slow());
            slow.Add(Slow());
            await WaitUntil(async () => await Gauge(server, "snnserve_queue_depth{") >= 2, describe);

            HttpResponseMessage refused = await server.Client.PostAsJsonAsync("/v1/models/synthetic/classify", new { input });
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(3), refused.Headers.RetryAfter?.Delta);
            using (JsonDocument error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
            {
                Assert.Contains("capacity", error.RootElement.GetProperty("detail").GetString());
            }

            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}");
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            var request = new ModelInferRequest { ModelName = "synthetic" };
            var tensor = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Shape = { 1, 1, 12, 12 }, Contents = new InferTensorContents() };
            tensor.Contents.Fp32Contents.AddRange(input);
            request.Inputs.Add(tensor);
            var rpc = await Assert.ThrowsAsync<RpcException>(() => client.ModelInferAsync(request).ResponseAsync);
            Assert.Equal(StatusCode.ResourceExhausted, rpc.StatusCode);
            Assert.Equal("3", rpc.Trailers.GetValue("retry-after"));
            Assert.Equal("3000", rpc.Trailers.GetValue("grpc-retry-pushback-ms"));

            // Every admitted request gets an answer: its best one at its deadline (the queued ones run
            // for whatever is left of their deadline once the slot frees), or a 504 if none was left.
            HttpResponseMessage[] answers = await Task.WhenAll(slow);
            string[] bodies = await Task.WhenAll(answers.Select(a => a.Content.ReadAsStringAsync()));
            Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.GatewayTimeout }));
            Assert.Contains(bodies, b => b.Contains("\"exit_reason\":\"deadline\"", StringComparison.Ordinal));

            // And the server serves on.
            (await server.Client.PostAsJsonAsync("/v1/models/synthetic/classify", new { input })).EnsureSuccessStatusCode();
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static async Task<double> Gauge(ServerFixture server, string prefix)
    {
        string text = await server.Client.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics");
        return text.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.IndexOf('}') + 2)..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)); // value, not timestamp
    }

    private static async Task WaitUntil(Func<Task<bool>> condition, Func<Task<string>> describe)
    {
        for (int i = 0; i < 320; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException("the scheduler did not reach the expected state: " + await describe());
    }
}
