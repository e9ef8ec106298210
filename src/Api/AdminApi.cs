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
        switch (AdminToken.Check(token, http.Request.Headers.Authorization.ToString()))
        {
            case AdminAccess.Disabled:
                return TypedResults.Problem(detail: AdminToken.DisabledMessage, statusCode: StatusCodes.Status403Forbidden);
            case AdminAccess.Denied:
                http.Response.Headers.WWWAuthenticate = "Bearer";
                return TypedResults.Problem(detail: AdminToken.DeniedMessage, statusCode: StatusCodes.Status401Unauthorized);
            default:
                return null;
        }
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
