using SnnServe.Runtime.Exit;

namespace SnnServe.Runtime.Tests;

public sealed class ExitPolicyTests
{
    private static ExitDecision Run(ExitPolicy policy, params float[][] steps)
    {
        ExitProgress progress = ExitProgress.Start;
        ExitDecision decision = default;
        for (int t = 1; t <= steps.Length; t++)
        {
            decision = policy.Evaluate(steps[t - 1], t, ref progress);
            if (decision.Exit)
            {
                return decision with { };
            }
        }

        return decision;
    }

    [Theory]
    [InlineData(0.90f, 0.9f, true)]
    [InlineData(0.89f, 0.9f, false)]
    public void MaxProbability_ExitsAtThreshold(float top, float tau, bool exits)
    {
        var policy = new MaxProbabilityExitPolicy(tau, 1, 5);
        ExitProgress p = ExitProgress.Start;
        ExitDecision d = policy.Evaluate([top, 1 - top], 1, ref p);
        Assert.Equal(exits, d.Exit);
        Assert.Equal(exits, d.PolicySatisfied);
        if (exits)
        {
            Assert.Equal(ExitReason.Confident, d.Reason);
        }
    }

    [Fact]
    public void Margin_UsesTopTwoDifference()
    {
        var policy = new MarginExitPolicy(0.5f, 1, 5);
        ExitProgress p = ExitProgress.Start;
        Assert.False(policy.Evaluate([0.6f, 0.3f, 0.1f], 1, ref p).Exit);
        Assert.True(policy.Evaluate([0.1f, 0.7f, 0.2f], 2, ref p).Exit);
    }

    [Fact]
    public void Entropy_ExitsWhenBelowBound()
    {
        var policy = new EntropyExitPolicy(0.2f, 1, 5);
        ExitProgress p = ExitProgress.Start;
        Assert.False(policy.Evaluate([0.5f, 0.5f], 1, ref p).Exit);
        Assert.Equal(MathF.Log(2), Probabilities.Entropy([0.5f, 0.5f]), 1e-6f);
        Assert.True(policy.Evaluate([0.99f, 0.01f], 2, ref p).Exit);
    }

    [Fact]
    public void Stability_NeedsKConsecutiveSameArgmaxAndProbability()
    {
        var policy = new StabilityExitPolicy(0.6f, 3, 1, 10);
        float[] a = [0.7f, 0.3f], b = [0.2f, 0.8f], weakA = [0.55f, 0.45f];
        ExitProgress p = ExitProgress.Start;
        Assert.False(policy.Evaluate(a, 1, ref p).Exit);
        Assert.False(policy.Evaluate(a, 2, ref p).Exit);
        Assert.False(policy.Evaluate(b, 3, ref p).Exit);
        Assert.False(policy.Evaluate(b, 4, ref p).Exit);
        Assert.True(policy.Evaluate(b, 5, ref p).Exit);

        ExitProgress q = ExitProgress.Start;
        Assert.False(policy.Evaluate(weakA, 1, ref q).Exit);
        Assert.False(policy.Evaluate(weakA, 2, ref q).Exit);
        Assert.False(policy.Evaluate(weakA, 3, ref q).Exit);
    }

    [Fact]
    public void MinTimesteps_HoldsBackConfidentExit()
    {
        var policy = new MaxProbabilityExitPolicy(0.5f, 3, 5);
        float[] sure = [1f, 0f];
        ExitProgress p = ExitProgress.Start;
        ExitDecision first = policy.Evaluate(sure, 1, ref p);
        Assert.False(first.Exit);
        Assert.True(first.PolicySatisfied);
        Assert.False(policy.Evaluate(sure, 2, ref p).Exit);
        Assert.Equal(new ExitDecision(true, ExitReason.Confident, true), policy.Evaluate(sure, 3, ref p));
    }

    [Fact]
    public void MaxTimesteps_ForcesExit()
    {
        var policy = new MaxProbabilityExitPolicy(0.99f, 1, 3);
        float[] unsure = [0.5f, 0.5f];
        ExitDecision d = Run(policy, unsure, unsure, unsure, unsure);
        Assert.Equal(new ExitDecision(true, ExitReason.MaxTimesteps, false), d);
    }

    [Theory]
    [InlineData("max_probability", -0.1f, "must lie in [0, 1]")]
    [InlineData("margin", 1.1f, "must lie in [0, 1]")]
    [InlineData("entropy", -1f, "must be ≥ 0 nats")]
    [InlineData("nonsense", 0.5f, "unknown exit policy")]
    public void Factory_RejectsBadSettings(string kind, float threshold, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => ExitPolicyFactory.Create(kind, threshold, 2, 1, 4, ReadoutSource.Readout));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Softmax_StableForLargeLogits_AndScaled()
    {
        var p = new float[3];
        Probabilities.Softmax([1000f, 1000f, -1000f], 1f, p);
        Assert.Equal([0.5f, 0.5f, 0f], p);
        Probabilities.Softmax([2f, 0f, 0f], 0.5f, p);
        Assert.Equal(MathF.E / (MathF.E + 2), p[0], 1e-6f);
        Assert.Equal(0.4f, Probabilities.Margin([0.1f, 0.5f, 0.9f]), 1e-6f);
    }
}
