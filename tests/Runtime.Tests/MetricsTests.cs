using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Telemetry;
using SnnServe.TestSupport;

namespace SnnServe.Runtime.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void SuccessfulRequest_RecordsEveryContractInstrumentWithTags()
    {
        using var repo = new TestRepository(("m", 2, new SyntheticModelOptions { ScoutMode = "rate", Threshold = 1f, MaxTimesteps = 4 }));
        using var duration = Collector<double>(repo, "snnserve.request.duration");
        using var timesteps = Collector<int>(repo, "snnserve.request.timesteps");
        using var spikes = Collector<long>(repo, "snnserve.request.spikes");
        using var ops = Collector<long>(repo, "snnserve.request.synaptic_operations");
        using var energy = Collector<double>(repo, "snnserve.request.energy");
        using var scout = Collector<double>(repo, "snnserve.scout.duration");
        using var batch = Collector<int>(repo, "snnserve.step.batch_size");
        using var requests = Collector<long>(repo, "snnserve.requests");
        using var active = Collector<long>(repo, "snnserve.requests.active");

        InferenceResult r = repo.Engine().Infer(new InferenceRequest { Model = "m", Input = SyntheticModel.RandomInput(new(), 1), Protocol = "grpc" });

        var tags = new Dictionary<string, object?> { ["model"] = "m", ["version"] = "2", ["protocol"] = "grpc" };
        Assert.Equal(tags, Assert.Single(duration.GetMeasurementSnapshot()).Tags);
        Assert.Equal(4, Assert.Single(timesteps.GetMeasurementSnapshot()).Value);
        Assert.Equal(r.TotalSpikes, Assert.Single(spikes.GetMeasurementSnapshot()).Value);
        Assert.Equal(r.SynapticOps, Assert.Single(ops.GetMeasurementSnapshot()).Value);
        Assert.Equal(r.EnergyJoules, Assert.Single(energy.GetMeasurementSnapshot()).Value);
        Assert.Single(scout.GetMeasurementSnapshot());
        Assert.Equal(4, batch.GetMeasurementSnapshot().Count);
        var counted = Assert.Single(requests.GetMeasurementSnapshot());
        Assert.Equal("ok", counted.Tags["outcome"]);
        Assert.Equal("max_timesteps", counted.Tags["exit_reason"]);
        Assert.Equal([1L, -1L], active.GetMeasurementSnapshot().Select(m => m.Value));
        Assert.Equal("s", duration.Instrument!.Unit);
        Assert.Equal("J", energy.Instrument!.Unit);
    }

    [Fact]
    public void FailedRequest_CountedWithOutcome()
    {
        using var repo = new TestRepository(("m", 1, new()));
        using var requests = Collector<long>(repo, "snnserve.requests");
        Assert.Throws<SnnServeException>(() => repo.Engine().Infer(new InferenceRequest { Model = "m", Input = new float[3] }));
        Assert.Throws<SnnServeException>(() => repo.Engine().Infer(new InferenceRequest { Model = "zz", Input = new float[3] }));
        Assert.Equal(["invalid_argument", "not_found"], requests.GetMeasurementSnapshot().Select(m => (string)m.Tags["outcome"]!));
    }

    [Fact]
    public void Request_EmitsSpanWithExitAttributes()
    {
        using var repo = new TestRepository(("m", 1, new SyntheticModelOptions { Threshold = 1f, MaxTimesteps = 3 }));
        // The listener sees every snnserve.infer span in the process, also those of tests running in
        // parallel on other threads: a List would be added to concurrently (and while enumerated).
        var spans = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SnnServeActivity.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        InferenceResult r = repo.Engine().Infer(new InferenceRequest { Model = "m", Input = SyntheticModel.RandomInput(new(), 1), Id = "req-7" });

        Activity span = Assert.Single(spans, s => (string?)s.GetTagItem("snnserve.request_id") == "req-7");
        Assert.Equal("snnserve.infer", span.OperationName);
        Assert.Equal(3, span.GetTagItem("snnserve.exit_timestep"));
        Assert.Equal(r.TotalSpikes, span.GetTagItem("snnserve.spikes"));
        Assert.Equal(r.Confidence, span.GetTagItem("snnserve.confidence"));
    }

    private static MetricCollector<T> Collector<T>(TestRepository repo, string name) where T : struct =>
        new(repo.Meters, SnnServeMetrics.MeterName, name);
}
