using System.Text.Json;

namespace SnnServe.Api.Tests;

/// <summary>The host's runtime settings that docs/operations.md states.</summary>
public sealed class RuntimeConfigTests
{
    [Fact]
    public void Host_UsesWorkstationGc()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "SnnServe.Api.runtimeconfig.json");
        using JsonDocument config = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
    }
}
