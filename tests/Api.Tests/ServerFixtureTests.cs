using Microsoft.AspNetCore.Builder;

namespace SnnServe.Api.Tests;

/// <summary>The test server starts again on fresh ports when one it chose was taken before it bound it.</summary>
public sealed class ServerFixtureTests
{
    private sealed class FirstStartOnTakenPort(int taken) : ServerFixture
    {
        public int Starts { get; private set; }

        protected override void Configure(WebApplicationBuilder builder)
        {
            if (++Starts == 1)
            {
                builder.Configuration["Kestrel:Endpoints:Metrics:Url"] = $"http://127.0.0.1:{taken}";
            }
        }
    }

    [Fact]
    public async Task PortTakenAtStart_StartsAgainOnFreshPorts()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var server = new FirstStartOnTakenPort(((System.Net.IPEndPoint)holder.LocalEndpoint).Port);
        await server.InitializeAsync();
        try
        {
            Assert.Equal(2, server.Starts);
            (await server.Client.GetAsync("/v2/health/ready")).EnsureSuccessStatusCode();
            (await server.Client.GetAsync($"http://127.0.0.1:{server.MetricsPort}/metrics")).EnsureSuccessStatusCode();
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
