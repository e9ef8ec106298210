using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

/// <summary>
/// No Docker engine runs here, so the images' invariants are checked on the Dockerfiles themselves,
/// against the app (ports, health route, project layout), and deploy/publish-local.sh performs the
/// build stage's publish on the host and starts the result to prove the entry point works.
/// </summary>
public sealed partial class DockerfileTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    public static TheoryData<string> Files => ["Dockerfile", "Dockerfile.gpu"];

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Dockerfile_Invariants(string file)
    {
        string[] lines = Instructions(File.ReadAllText(Path.Combine(BundledData.Root, file)));
        string[] froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, froms.Length);
        Assert.EndsWith(" AS build", froms[0]);
        Assert.EndsWith(" AS final", froms[1]);
        int final = Array.IndexOf(lines, froms[1]);

        // Restore is cached: only project and build files are copied before it.
        int restore = Array.FindIndex(lines, l => l.StartsWith("RUN dotnet restore src/Api/Api.csproj", StringComparison.Ordinal));
        Assert.True(restore > 0);
        Assert.All(lines[..restore].Where(l => l.StartsWith("COPY ", StringComparison.Ordinal)),
            l => Assert.Matches(@"^COPY ((\S+\.(csproj|props|json)) )+\S+$", l));
        foreach (string project in new[] { "Runtime", "Api", "Contracts" })
        {
            Assert.Contains($"COPY src/{project}/{project}.csproj src/{project}/", lines[..restore]);
        }

        // Only the service is published: no trainer (TorchSharp), no tests, no bench.
        Assert.Contains(lines, l => l.StartsWith("RUN dotnet publish src/Api/Api.csproj", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("Training", StringComparison.Ordinal) || l.Contains("tests/", StringComparison.Ordinal));

        // The final stage: the bundled models, a non-root user, the app's ports, the health check.
        string[] runtime = lines[final..];
        Assert.Contains("COPY models/ /models/", runtime);
        Assert.Contains(runtime, l => l.Contains("SnnServe__Models__RepositoryPath=/models", StringComparison.Ordinal));
        string user = Assert.Single(runtime, l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.DoesNotContain(user[5..], new[] { "root", "0" });
        Assert.Equal("EXPOSE " + string.Join(' ', AppPorts()), Assert.Single(runtime, l => l.StartsWith("EXPOSE ", StringComparison.Ordinal)));
        string health = Assert.Single(runtime, l => l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));
        string path = HealthPath().Match(health).Groups[1].Value;
        Assert.Equal("/v2/health/ready", path);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.Client.GetAsync(path)).StatusCode);
        Assert.Contains(runtime, l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal) && l.Contains("SnnServe.Api", StringComparison.Ordinal));
    }

    [Fact]
    public void DockerIgnore_KeepsBuildOutputAndTrainerDataOut()
    {
        string[] ignored = File.ReadAllLines(Path.Combine(BundledData.Root, ".dockerignore"));
        Assert.Contains(ignored, l => l.Trim().TrimEnd('/') is "**/bin" or "bin");
        Assert.Contains(ignored, l => l.Trim().TrimEnd('/') is "**/obj" or "obj");
    }

    [Fact]
    public async Task PublishedEntryPoint_StartsAndServesTheBundledModel()
    {
        using var work = new TempDirectory("snnserve-publish");
        // The port asked for is taken (held here for the whole run): the script must notice the
        // failed bind and start again on fresh ports, as it would when anything else grabbed one
        // between choosing and binding it (this test once failed on exactly that under the full suite).
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        int port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var start = new ProcessStartInfo("bash", [Path.Combine(BundledData.Root, "deploy", "publish-local.sh"), work.Path, port.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        Task<string> errorsRead = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        string errors = await errorsRead;
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, output + errors);
        Assert.Contains("a port was taken (attempt 1); starting again on fresh ports", errors);
        Assert.Contains("ready; classify answered:", output);
        using JsonDocument answer = JsonDocument.Parse(output[(output.IndexOf('{'))..]);
        Assert.Equal("mnist-alif", answer.RootElement.GetProperty("model").GetString());
    }

    // Instructions with line continuations joined.
    private static string[] Instructions(string dockerfile) =>
        dockerfile.Replace("\\\n", " ").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

    private static IEnumerable<int> AppPorts()
    {
        using JsonDocument settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(BundledData.Root, "src", "Api", "appsettings.json")));
        return settings.RootElement.GetProperty("Kestrel").GetProperty("Endpoints").EnumerateObject()
            .Select(e => new Uri(e.Value.GetProperty("Url").GetString()!.Replace("0.0.0.0", "localhost")).Port).ToArray();
    }

    [GeneratedRegex(@"GET (/\S+) HTTP")]
    private static partial Regex HealthPath();
}
