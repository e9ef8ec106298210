using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using System.Text.Json;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

/// <summary>A server with an admin token configured.</summary>
public sealed class AdminServerFixture : ServerFixture
{
    public const string Token = "test-admin-token";

    protected override void Configure(WebApplicationBuilder builder) => builder.Configuration["SnnServe:Admin:Token"] = Token;
}

public sealed class AdminDisabledTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task NoTokenConfigured_AdminRefused403_EvenWithAToken()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/models/synthetic/unload");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "anything");
        HttpResponseMessage response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("no admin token is configured", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v1/models/synthetic")).StatusCode);
    }
}

public sealed class AdminApiTests(AdminServerFixture server) : IClassFixture<AdminServerFixture>
{
    private async Task<HttpResponseMessage> Admin(string path, string? token = AdminServerFixture.Token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await server.Client.SendAsync(request);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    [InlineData("")]
    public async Task MissingOrWrongToken_401_ModelUntouched(string? token)
    {
        HttpResponseMessage response = await Admin("/v1/admin/models/synthetic/unload", token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v1/models/synthetic")).StatusCode);
    }

    [Fact]
    public async Task Lifecycle_HotReloadNewVersion_CorruptVersionRejected_UnloadAndLoad()
    {
        float[] input = SyntheticModel.RandomInput(ServerFixture.Model, 3);

        // A new version goes live atomically and becomes the default.
        SyntheticModel.Write(Path.Combine(server.ModelsPath, "synthetic", "2"), ServerFixture.Model with { Seed = 8 });
        JsonElement loaded = await (await Admin("/v1/admin/models/synthetic/load")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("[1,2]", loaded.GetProperty("live").GetRawText());
        Assert.Equal(2, (await server.Client.PostOkAsync("/v1/models/synthetic/classify", new { input })).GetProperty("version").GetInt64());

        // A half-written version is reported; version 2 keeps serving.
        string broken = Path.Combine(server.ModelsPath, "synthetic", "3");
        Directory.CreateDirectory(broken);
        File.WriteAllText(Path.Combine(broken, "model.json"), "{ \"format_version\": 1,");
        JsonElement report = await (await Admin("/v1/admin/models/synthetic/load")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("invalid JSON", report.GetProperty("failures")[0].GetProperty("error").GetString());
        Assert.Equal(2, (await server.Client.PostOkAsync("/v1/models/synthetic/classify", new { input })).GetProperty("version").GetInt64());
        Directory.Delete(broken, recursive: true);

        // Unload: 404 until loaded again.
        Assert.Equal(HttpStatusCode.OK, (await Admin("/v1/admin/models/synthetic/unload")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.PostAsJsonAsync("/v1/models/synthetic/classify", new { input })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Admin("/v1/admin/models/synthetic/unload")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Admin("/v1/admin/models/synthetic/load")).StatusCode);
        await server.Client.PostOkAsync("/v1/models/synthetic/classify", new { input });

        Assert.Equal(HttpStatusCode.BadRequest, (await Admin("/v1/admin/models/..%2Fetc/load")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Admin("/v1/admin/models/absent/load")).StatusCode);
    }
}

public sealed class AdminGrpcTests(AdminServerFixture server) : IClassFixture<AdminServerFixture>
{
    private Contracts.V1.Admin.AdminClient Client() => new(Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}"));

    private static Grpc.Core.Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    [Fact]
    public async Task WrongOrMissingToken_Unauthenticated_RightToken_UnloadAndLoad()
    {
        var client = Client();
        var request = new Contracts.V1.ModelRequest { Name = "synthetic" };
        var missing = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await client.UnloadModelAsync(request));
        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, missing.StatusCode);
        var wrong = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await client.UnloadModelAsync(request, Bearer("nope")));
        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, wrong.StatusCode);

        await client.UnloadModelAsync(request, Bearer(AdminServerFixture.Token));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("/v1/models/synthetic")).StatusCode);
        var gone = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await client.UnloadModelAsync(request, Bearer(AdminServerFixture.Token)));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, gone.StatusCode);

        Contracts.V1.LoadModelResponse loaded = await client.LoadModelAsync(request, Bearer(AdminServerFixture.Token));
        Assert.Contains(1L, loaded.Live);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v1/models/synthetic")).StatusCode);
    }
}

public sealed class AdminGrpcDisabledTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task NoTokenConfigured_PermissionDenied()
    {
        var client = new Contracts.V1.Admin.AdminClient(Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}"));
        var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
            await client.UnloadModelAsync(new Contracts.V1.ModelRequest { Name = "synthetic" }, new Grpc.Core.Metadata { { "authorization", "Bearer x" } }));
        Assert.Equal(Grpc.Core.StatusCode.PermissionDenied, error.StatusCode);
    }
}
