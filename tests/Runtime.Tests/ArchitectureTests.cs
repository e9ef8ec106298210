using SnnServe.Runtime.Repository;

namespace SnnServe.Runtime.Tests;

public sealed class ArchitectureTests
{
    [Fact]
    public void Runtime_ReferencesNeitherAspNetNorTorchSharp()
    {
        string[] references = typeof(ModelRepository).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.Contains("Microsoft.ML.OnnxRuntime", references);
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.StartsWith("TorchSharp", StringComparison.Ordinal));
    }
}
