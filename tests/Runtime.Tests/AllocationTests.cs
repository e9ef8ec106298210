using SnnServe.Runtime.Kernels;
using SnnServe.TestSupport;

namespace SnnServe.Runtime.Tests;

public sealed class AllocationTests
{
    [Theory]
    [InlineData("direct")]
    [InlineData("rate")]
    public void EventDrivenStep_AllocatesNothing(string encoder)
    {
        var options = new SyntheticModelOptions { Encoder = encoder, ScoutMode = "potential" };
        using var repo = new TestRepository(("m", 1, options));
        var model = repo.Repository.Resolve("m");
        var (state, enc) = KernelParityTests.Prepare(model, SyntheticModel.RandomInput(options, 2), 3);
        enc.Encode(state);
        EventDrivenKernel.Instance.Step(model.Network, state);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 200; t++)
        {
            enc.Encode(state);
            EventDrivenKernel.Instance.Step(model.Network, state);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(state.TotalSpikes > 0);
    }
}
