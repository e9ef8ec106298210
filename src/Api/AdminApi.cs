using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Repository;

namespace SnnServe.Api;

/// <summary>
/// Model lifecycle over REST, behind a bearer token: <c>POST /v1/admin/models/{name}/load</c>
/// ((re)loads every version folder of the model from disk: new versions go live atomically, a
/// corrupt one is reported and the live version keeps serving) and <c>.../unload</c>. With no token
/// configured every admin call is refused with 403; a missing or wrong token is 401.
/// </summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder admin = app.MapGroup("/v1/admin/models/{name}").AddEndpointFilter(async (context, next) =>
            Authorize(context.HttpContext) ?? await next(context));
        admin.MapPost("/load", (string name, ModelRepository repository) => Run(() =>
        {
            ModelLoadReport report = repository.LoadModel(name);
            return Results.Json(new
            {
                name,
                loaded = report.Loaded.Select(m => m.Version),
                live = repository.Versions(name),
                failures = report.Failures.Select(f => new { version = f.Version, error = f.Error }),
            });
        }));
        admin.MapPost("/unload", (string name, ModelRepository repository) => Run(() =>
        {
            repository.Unload(name);
            return Results.Json(new { name, unloaded = true });
        }));
        return app;
    }

    private static IResult? Authorize(HttpContext http)
    {
        string? token = http.RequestServices.GetRequiredService<IOptions<AdminOptions>>().Value.Token;
        if (string.IsNullOrEmpty(token))
        {
            return TypedResults.Problem(detail: "the admin API is disabled: no admin token is configured (SnnServe:Admin:Token)", statusCode: StatusCodes.Status403Forbidden);
        }

        string header = http.Request.Headers.Authorization.ToString();
        byte[] given = Encoding.UTF8.GetBytes(header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : "");
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(given), SHA256.HashData(Encoding.UTF8.GetBytes(token))))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem(detail: "missing or wrong bearer token", statusCode: StatusCodes.Status401Unauthorized);
        }

        return null;
    }

    private static IResult Run(Func<IResult> action)
    {
        try
        {
            return action();
        }
        catch (SnnServeException ex)
        {
            return ErrorMapping.Problem(ex);
        }
    }
}
