using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

/// <summary>A server that polls its repository every 100 ms.</summary>
public sealed class PollingServerFixture : ServerFixture
{
    protected override void Configure(WebApplicationBuilder builder) => builder.Configuration["SnnServe:Polling:IntervalSeconds"] = "0.1";
}

public sealed class PollingTests(PollingServerFixture server) : IClassFixture<PollingServerFixture>
{
    [Fact]
    public async Task NewVersionGoesLive_CorruptVersionIgnored_RemovedModelUnloaded()
    {
        float[] input = SyntheticModel.RandomInput(ServerFixture.Model, 12);
        SyntheticModel.Write(Path.Combine(server.ModelsPath, "synthetic", "2"), ServerFixture.Model with { Seed = 5 });
        await Until(async () => (await Version()) == 2);

        string broken = Path.Combine(server.ModelsPath, "synthetic", "3");
        Directory.CreateDirectory(broken);
        await File.WriteAllTextAsync(Path.Combine(broken, "model.json"), "{\"format_version\": 1");
        await Task.Delay(500);
        Assert.Equal(2, await Version());
        Assert.Equal(2, (await server.Client.PostOkAsync("/v1/models/synthetic/classify", new { input })).GetProperty("version").GetInt64());

        Directory.Delete(Path.Combine(server.ModelsPath, "synthetic"), recursive: true);
        await Until(async () => (await server.Client.GetAsync("/v1/models/synthetic")).StatusCode == HttpStatusCode.NotFound);
    }

    private async Task<long> Version()
    {
        HttpResponseMessage response = await server.Client.GetAsync("/v1/models/synthetic");
        return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("version").GetInt64() : -1;
    }

    private static async Task Until(Func<Task<bool>> condition)
    {
        for (int i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("the repository change was not picked up within 10 s");
    }
}
