using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Exit;
using SnnServe.Runtime.Kernels;
using SnnServe.Runtime.Repository;
using SnnServe.Runtime.Scheduling;
using SnnServe.TestSupport;
using static SnnServe.Runtime.Tests.EngineTests;

namespace SnnServe.Runtime.Tests;

public sealed class SchedulerTests
{
    // Rate-encoded with a scout: requests exit at different timesteps and every part of the state matters.
    private static readonly SyntheticModelOptions Model = new() { Encoder = "rate", Gain = 1.5f, Threshold = 0.6f, MaxTimesteps = 16, ScoutMode = "rate" };

    private static InferenceRequest Request(float[] input, InferenceOptions? options = null) =>
        new() { Model = "m", Input = input, Options = options ?? new() };

    private static float[][] Inputs(int count, int seed = 100) =>
        Enumerable.Range(0, count).Select(i => SyntheticModel.RandomInput(Model, seed + i)).ToArray();

    public static TheoryData<SchedulingMode> Modes => [SchedulingMode.Direct, SchedulingMode.PerRequest, SchedulingMode.Static, SchedulingMode.Continuous];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AnyMode_AnyCompany_BitIdenticalToRunningAlone(SchedulingMode mode)
    {
        using var repo = new TestRepository(("m", 1, Model));
        float[][] inputs = Inputs(24);
        SnnInferenceEngine alone = repo.Engine();
        var options = inputs.Select((_, i) => new InferenceOptions { Seed = (ulong)i, Threshold = 0.5f + 0.02f * (i % 10) }).ToArray();
        InferenceResult[] expected = inputs.Select((x, i) => alone.Infer(Request(x, options[i]))).ToArray();
        Assert.True(expected.Select(r => r.ExitTimestep).Distinct().Count() > 2, "the inputs must exit at different timesteps");

        using ScheduledInferenceEngine engine = repo.Scheduled(new SchedulerOptions { Mode = mode, Slots = 5, Workers = 2 });
        // Everything at once, three times over, so each request meets different neighbours and joins mid-batch.
        Task<InferenceResult>[] tasks = Enumerable.Range(0, inputs.Length * 3)
            .Select(k => engine.InferAsync(Request(inputs[k % inputs.Length], options[k % inputs.Length])).AsTask()).ToArray();
        InferenceResult[] results = await Task.WhenAll(tasks);

        for (int k = 0; k < results.Length; k++)
        {
            InferenceResult e = expected[k % inputs.Length], r = results[k];
            Assert.Equal(Bits(e.Probabilities), Bits(r.Probabilities));
            Assert.Equal(e.ExitTimestep, r.ExitTimestep);
            Assert.Equal(e.ExitReason, r.ExitReason);
            Assert.Equal(e.SpikesPerLayer, r.SpikesPerLayer);
            Assert.Equal(e.SynapticOps, r.SynapticOps);
            Assert.Equal(e.Macs, r.Macs);
        }
    }

    [Fact]
    public async Task Continuous_FillsFreedSlotsBetweenTimesteps_StaticDoesNot()
    {
        using var repo = new TestRepository(("m", 1, Model));
        // 200 requests of 1 to 8 timesteps, all queued before the worker admits any: apart from the
        // first and last few iterations every slot is busy, because a freed slot is refilled before
        // the next timestep (a static batch idles slots until its longest member ends: ≈ 2.25 of 4).
        float[][] inputs = Inputs(200);
        double continuous = await MeanOccupancy(SchedulingMode.Continuous);
        Assert.True(continuous > 3.7, $"mean occupancy {continuous:0.00} of 4 slots");
        Assert.InRange(await MeanOccupancy(SchedulingMode.Static), 1.5, 3.0);

        async Task<double> MeanOccupancy(SchedulingMode mode)
        {
            using ScheduledInferenceEngine engine = repo.Scheduled(new SchedulerOptions { Mode = mode, Workers = 1, Slots = 4 });
            await engine.InferAsync(Request(inputs[0], new() { MaxTimesteps = 1 })); // creates the scheduler
            TimestepScheduler scheduler = Assert.Single(engine.Schedulers);
            scheduler.Hold(true);
            Task[] tasks = inputs.Select((x, i) => engine.InferAsync(Request(x, new() { MinTimesteps = 1 + i % 8, MaxTimesteps = 1 + i % 8 })).AsTask()).ToArray();
            Assert.Equal(200, scheduler.Queued);
            scheduler.Hold(false);
            await Task.WhenAll(tasks);
            return scheduler.MeanOccupancy;
        }
    }

    [Fact]
    public async Task QueueFull_RejectsAtOnce_WithRetryAfter_AdmittedAllAnswer()
    {
        using var repo = new TestRepository(("m", 1, Model));
        repo.Options.MaxTimesteps = 20_000;
        using ScheduledInferenceEngine engine = repo.Scheduled(new SchedulerOptions { Workers = 1, Slots = 1, QueueCapacity = 3, RetryAfterSeconds = 2 });
        // Slow enough (20,000 timesteps) that nothing finishes while the 40 requests arrive.
        var slow = new InferenceOptions { Threshold = 1f, MaxTimesteps = 20_000 };
        float[][] inputs = Inputs(40);
        var tasks = new List<Task<InferenceResult>>();
        var rejected = new List<SnnServeException>();
        foreach (float[] x in inputs)
        {
            try
            {
                tasks.Add(engine.InferAsync(Request(x, slow)).AsTask());
            }
            catch (SnnServeException ex)
            {
                rejected.Add(ex);
            }
        }

        // InferAsync reports rejection through the task, not by throwing.
        var failed = tasks.Where(t => t.IsFaulted).ToArray();
        Assert.NotEmpty(failed);
        Assert.All(failed, t =>
        {
            var error = Assert.IsType<SnnServeException>(t.Exception!.InnerException);
            Assert.Equal(ErrorKind.ResourceExhausted, error.Kind);
            Assert.Equal(TimeSpan.FromSeconds(2), error.RetryAfter);
        });
        Assert.Empty(rejected);
        var admitted = tasks.Where(t => !t.IsFaulted).ToArray();
        InferenceResult[] answers = await Task.WhenAll(admitted);
        Assert.All(answers, a => Assert.Equal(20_000, a.ExitTimestep));
        // One slot plus three queued; three when the fourth arrives before the worker took the first.
        Assert.InRange(admitted.Length, 3, 4);
        Assert.Equal(failed.Length, Assert.Single(engine.Schedulers).Rejected);
    }

    [Fact(Timeout = 120_000)]
    public async Task QueueTimeout_RejectsWaitingRequest()
    {
        using var repo = new TestRepository(("m", 1, Model));
        var time = new SteppingTimeProvider(TimeSpan.FromMilliseconds(1));
        using ScheduledInferenceEngine engine = repo.Scheduled(new SchedulerOptions { Workers = 1, Slots = 1, QueueTimeoutMilliseconds = 50 }, time);
        var slow = new InferenceOptions { Threshold = 1f, MaxTimesteps = 64 };
        await engine.InferAsync(Request(Inputs(1)[0], new() { MaxTimesteps = 1 })); // creates the scheduler
        TimestepScheduler scheduler = Assert.Single(engine.Schedulers);
        // Queue all four before the first admission: otherwise, on a busy machine, the worker could
        // finish the first request before the others arrive and none of them would ever wait.
        scheduler.Hold(true);
        Task<InferenceResult> first = engine.InferAsync(Request(Inputs(1)[0], slow)).AsTask();
        Task<InferenceResult>[] waiting = Inputs(3, 7).Select(x => engine.InferAsync(Request(x, slow)).AsTask()).ToArray();
        scheduler.Hold(false);

        await first;
        var errors = new List<ErrorKind>();
        foreach (Task<InferenceResult> t in waiting)
        {
            try
            {
                await t;
            }
            catch (SnnServeException ex)
            {
                errors.Add(ex.Kind);
            }
        }

        Assert.Contains(ErrorKind.ResourceExhausted, errors);
    }

    [Fact]
    public async Task Priority_HighOvertakesNormalInTheQueue()
    {
        using var repo = new TestRepository(("m", 1, Model));
        using ScheduledInferenceEngine engine = repo.Scheduled(new SchedulerOptions { Workers = 1, Slots = 1 });
        var slow = new InferenceOptions { Threshold = 1f, MaxTimesteps = 64 };
        float[][] inputs = Inputs(8);
        var order = new List<string>();
        Task Track(string name, ValueTask<InferenceResult> task) => task.AsTask().ContinueWith(_ =>
        {
            lock (order)
            {
                order.Add(name);
            }
        });

        var tasks = new List<Task> { Track("first", engine.InferAsync(Request(inputs[0], slow))) };
        for (int i = 0; i < 50; i++)
        {
            tasks.Add(Track("normal", engine.InferAsync(Request(inputs[1 + i % 6], slow with { Priority = 1 }))));
        }

        tasks.Add(Track("high", engine.InferAsync(Request(inputs[7], slow with { Priority = 0 }))));
        await Task.WhenAll(tasks);
        Assert.True(order.IndexOf("high") < 25, $"high finished at position {order.IndexOf("high")} of {order.Count}");
    }

    [Fact]
    public async Task InvalidPriority_InvalidArgument()
    {
        using var repo = new TestRepository(("m", 1, Model));
        using ScheduledInferenceEngine engine = repo.Scheduled(new SchedulerOptions());
        var error = await Assert.ThrowsAsync<SnnServeException>(() => engine.InferAsync(Request(Inputs(1)[0], new() { Priority = 7 })).AsTask());
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
    }

    [Fact]
    public async Task DeadlineDuringExecution_AnytimeAnswerFlaggedDeadline()
    {
        using var repo = new TestRepository(("m", 1, Model));
        var time = new SteppingTimeProvider(TimeSpan.FromMilliseconds(1));
        using ScheduledInferenceEngine engine = repo.Scheduled(new SchedulerOptions(), time);
        float[] input = Inputs(1)[0];
        var options = new InferenceOptions { Threshold = 1f, MaxTimesteps = 64, Deadline = time.GetUtcNow().AddMilliseconds(40) };

        InferenceResult result = await engine.InferAsync(Request(input, options));

        Assert.Equal(ExitReason.Deadline, result.ExitReason);
        Assert.InRange(result.ExitTimestep, 1, 63);
        InferenceResult reference = repo.Engine().Infer(Request(input, options with { Deadline = null, MaxTimesteps = result.ExitTimestep }));
        Assert.Equal(Bits(reference.Probabilities), Bits(result.Probabilities));
    }

    [Fact]
    public async Task DeadlineBeforeFirstTimestep_DeadlineExceeded()
    {
        using var repo = new TestRepository(("m", 1, Model));
        using ScheduledInferenceEngine engine = repo.Scheduled(new SchedulerOptions());
        var options = new InferenceOptions { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) };
        var error = await Assert.ThrowsAsync<SnnServeException>(() => engine.InferAsync(Request(Inputs(1)[0], options)).AsTask());
        Assert.Equal(ErrorKind.DeadlineExceeded, error.Kind);
    }

    [Fact(Timeout = 120_000)]
    public async Task Cancellation_FreesTheSlotAtTheNextTimestep()
    {
        using var repo = new TestRepository(("m", 1, Model));
        repo.Options.MaxTimesteps = 100_000_000;
        using ScheduledInferenceEngine engine = repo.Scheduled(new SchedulerOptions { Workers = 1, Slots = 1 });
        // A practically endless request (never confident) followed by one that needs the slot.
        var never = new InferenceOptions { Threshold = 1f, MaxTimesteps = 100_000_000 };
        using var cancel = new CancellationTokenSource();
        Task<InferenceResult> doomed = engine.InferAsync(Request(Inputs(1)[0], never), cancel.Token).AsTask();
        TimestepScheduler scheduler = Assert.Single(engine.Schedulers);
        SpinWait.SpinUntil(() => scheduler.Active == 1, TimeSpan.FromSeconds(10));
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomed);
        InferenceResult next = await engine.InferAsync(Request(Inputs(1, 9)[0]));
        Assert.True(next.ExitTimestep >= 1);
        SpinWait.SpinUntil(() => scheduler.Active == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(0, scheduler.Active);
        Assert.Equal(0, repo.Repository.Resolve("m", 1).Leases);
    }

    [Fact(Timeout = 120_000)]
    public async Task CancelledWhileQueued_NeverRuns()
    {
        using var repo = new TestRepository(("m", 1, Model));
        repo.Options.MaxTimesteps = 20_000;
        using ScheduledInferenceEngine engine = repo.Scheduled(new SchedulerOptions { Workers = 1, Slots = 1 });
        var slow = new InferenceOptions { Threshold = 1f, MaxTimesteps = 20_000 };
        Task<InferenceResult> running = engine.InferAsync(Request(Inputs(1)[0], slow)).AsTask();
        using var cancel = new CancellationTokenSource();
        Task<InferenceResult> queued = engine.InferAsync(Request(Inputs(1, 5)[0], slow), cancel.Token).AsTask();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        await running;
    }

    [Fact]
    public async Task InvalidInput_FailsThatRequestOnly()
    {
        using var repo = new TestRepository(("m", 1, Model));
        using ScheduledInferenceEngine engine = repo.Scheduled(new SchedulerOptions());
        float[] bad = Inputs(1)[0].ToArray();
        bad[3] = float.NaN;
        Task<InferenceResult> good = engine.InferAsync(Request(Inputs(1)[0])).AsTask();
        var error = await Assert.ThrowsAsync<SnnServeException>(() => engine.InferAsync(Request(bad)).AsTask());
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        await good;
        var missing = await Assert.ThrowsAsync<SnnServeException>(() => engine.InferAsync(new InferenceRequest { Model = "ghost", Input = bad }).AsTask());
        Assert.Equal(ErrorKind.NotFound, missing.Kind);
    }

    [Fact(Timeout = 120_000)]
    public async Task HundredThousandMixedRequests_NoSlotLeaseOrBufferLeaks()
    {
        var small = new SyntheticModelOptions { Height = 8, Width = 8, Layers = ["conv 4 3 1 1", "pool max 2", "flatten", "dense 12", "readout 10"], MaxTimesteps = 6, Threshold = 0.5f };
        using var repo = new TestRepository(("m", 1, small));
        var options = new SchedulerOptions { Slots = 16, Workers = 2, QueueCapacity = 512 };
        using ScheduledInferenceEngine engine = repo.Scheduled(options);
        float[][] inputs = Enumerable.Range(0, 16).Select(i => SyntheticModel.RandomInput(small, i)).ToArray();
        float[] bad = new float[7];
        int succeeded = 0, failed = 0, cancelled = 0;
        const int Total = 100_000;
        var inFlight = new List<Task>(600);
        using var cancelled1 = new CancellationTokenSource();
        cancelled1.Cancel();
        for (int i = 0; i < Total; i++)
        {
            InferenceRequest request = (i % 50) switch
            {
                7 => new InferenceRequest { Model = "m", Input = bad },
                13 => Request(inputs[i % 16], new() { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) }),
                _ => Request(inputs[i % 16], new() { Seed = (ulong)i, MaxTimesteps = 1 + i % 6 }),
            };
            CancellationToken token = i % 50 == 21 ? cancelled1.Token : default;
            inFlight.Add(engine.InferAsync(request, token).AsTask().ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    Interlocked.Increment(ref succeeded);
                }
                else if (t.IsCanceled)
                {
                    Interlocked.Increment(ref cancelled);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }, TaskScheduler.Default));
            if (inFlight.Count == 400)
            {
                await Task.WhenAll(inFlight);
                inFlight.Clear();
            }
        }

        await Task.WhenAll(inFlight);
        Assert.Equal(Total, succeeded + failed + cancelled);
        Assert.Equal(Total / 50 * 47, succeeded);
        Assert.Equal(Total / 50, cancelled);
        TimestepScheduler scheduler = Assert.Single(engine.Schedulers);
        Assert.Equal(0, scheduler.Queued);
        Assert.Equal(0, scheduler.Active);
        Assert.Equal(Total, scheduler.Completed);
        LoadedModel model = repo.Repository.Resolve("m", 1);
        Assert.Equal(0, model.Leases);
        // Contexts are pooled: at most one per slot plus the pool's slack, never one per request.
        Assert.InRange(model.ContextsCreated, 1, options.Slots * options.Workers + 8);
    }

    [Fact(Timeout = 120_000)]
    public async Task Dispose_FinishesQueuedAndActiveRequests_ThenRejects()
    {
        using var repo = new TestRepository(("m", 1, Model));
        ScheduledInferenceEngine engine = repo.Scheduled(new SchedulerOptions { Slots = 2 });
        Task<InferenceResult>[] tasks = Inputs(10).Select(x => engine.InferAsync(Request(x)).AsTask()).ToArray();
        engine.Dispose();
        await Task.WhenAll(tasks);
        var error = await Assert.ThrowsAsync<SnnServeException>(() => engine.InferAsync(Request(Inputs(1)[0])).AsTask());
        Assert.Equal(ErrorKind.Unavailable, error.Kind);
    }

    [Fact(Timeout = 60_000)]
    public async Task Streams_AreBoundedLikeTheQueue_AndReleaseTheirPlace()
    {
        using var repo = new TestRepository(("m", 1, Model));
        using ScheduledInferenceEngine engine = repo.Scheduled(new SchedulerOptions { Workers = 1, Slots = 1, QueueCapacity = 0 });
        var never = new InferenceOptions { Threshold = 1f, MaxTimesteps = 16 };
        await using (IAsyncEnumerator<TimestepUpdate> first = engine.StreamAsync(Request(Inputs(1)[0], never)).GetAsyncEnumerator())
        {
            Assert.True(await first.MoveNextAsync());
            Assert.Equal(1, engine.Streams);
            await using IAsyncEnumerator<TimestepUpdate> second = engine.StreamAsync(Request(Inputs(1, 3)[0], never)).GetAsyncEnumerator();
            var error = await Assert.ThrowsAsync<SnnServeException>(async () => await second.MoveNextAsync());
            Assert.Equal(ErrorKind.ResourceExhausted, error.Kind);
            Assert.NotNull(error.RetryAfter);
        }

        Assert.Equal(0, engine.Streams);
        var updates = new List<TimestepUpdate>();
        await foreach (TimestepUpdate u in engine.StreamAsync(Request(Inputs(1, 4)[0], never)))
        {
            updates.Add(u);
        }

        Assert.Equal(16, updates.Count);
        Assert.True(updates[^1].IsFinal);
        Assert.Equal(0, engine.Streams);
    }

    [Fact]
    public void InvalidOptions_Rejected()
    {
        Assert.Throws<ArgumentException>(() => new SchedulerOptions { Slots = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new SchedulerOptions { Workers = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new SchedulerOptions { Backend = "tpu" }.Validate());
        Assert.Throws<ArgumentException>(() => new SchedulerOptions { QueueTimeoutMilliseconds = 0 }.Validate());
    }

    [Fact]
    public void BatchedStep_EqualsSingleSteps_BitForBit()
    {
        using var repo = new TestRepository(("m", 1, Model with { Layers = ["conv 6 3 1 1", "pool avg 2", "conv 8 3 1 1", "flatten", "dense 16", "readout 10"] }));
        LoadedModel model = repo.Repository.Resolve("m", 1);
        float[][] inputs = Inputs(5);
        var single = inputs.Select(_ => new NetworkState(model.Network)).ToArray();
        var batched = inputs.Select(_ => new NetworkState(model.Network)).ToArray();
        var encoders = inputs.Select(_ => (new Encoders.InputEncoder(model.Network.Input), new Encoders.InputEncoder(model.Network.Input))).ToArray();
        for (int i = 0; i < inputs.Length; i++)
        {
            encoders[i].Item1.Prepare(single[i], inputs[i], Encoders.EncoderKind.Rate, 1.5f, 0, 1, default, 0, 0, Encoders.ModulationMode.Rate, 0, (ulong)i);
            encoders[i].Item2.Prepare(batched[i], inputs[i], Encoders.EncoderKind.Rate, 1.5f, 0, 1, default, 0, 0, Encoders.ModulationMode.Rate, 0, (ulong)i);
        }

        for (int t = 0; t < 10; t++)
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                encoders[i].Item1.Encode(single[i]);
                EventDrivenKernel.Instance.Step(model.Network, single[i]);
                encoders[i].Item2.Encode(batched[i]);
            }

            EventDrivenKernel.Instance.StepBatch(model.Network, batched);
            for (int i = 0; i < inputs.Length; i++)
            {
                Assert.Equal(Bits(single[i].Readout), Bits(batched[i].Readout));
                Assert.Equal(single[i].SpikesPerLayer, batched[i].SpikesPerLayer);
                Assert.Equal(single[i].SynapticOps, batched[i].SynapticOps);
            }
        }
    }
}
