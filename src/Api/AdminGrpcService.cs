using Grpc.Core;
using Microsoft.Extensions.Options;
using SnnServe.Contracts.V1;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Repository;

namespace SnnServe.Api;

/// <summary>
/// <c>snnserve.v1.Admin</c>: the gRPC mirror of the REST admin API, behind
/// <c>authorization: Bearer &lt;token&gt;</c> metadata (PERMISSION_DENIED when no token is configured,
/// UNAUTHENTICATED when it is missing or wrong).
/// </summary>
public sealed class AdminGrpcService(ModelRepository repository, IOptions<AdminOptions> options) : Admin.AdminBase
{
    public override Task<LoadModelResponse> LoadModel(ModelRequest request, ServerCallContext context) => Guarded(context, () =>
    {
        ModelLoadReport report = repository.LoadModel(request.Name);
        var response = new LoadModelResponse { Loaded = { report.Loaded.Select(m => m.Version) }, Live = { repository.Versions(request.Name) } };
        response.Failures.AddRange(report.Failures.Select(f => new VersionFailure { Version = f.Version, Error = f.Error }));
        return response;
    });

    public override Task<UnloadModelResponse> UnloadModel(ModelRequest request, ServerCallContext context) => Guarded(context, () =>
    {
        repository.Unload(request.Name);
        return new UnloadModelResponse();
    });

    private Task<T> Guarded<T>(ServerCallContext context, Func<T> action)
    {
        switch (AdminToken.Check(options.Value.Token, context.RequestHeaders.GetValue("authorization")))
        {
            case AdminAccess.Disabled:
                throw new RpcException(new Status(StatusCode.PermissionDenied, AdminToken.DisabledMessage));
            case AdminAccess.Denied:
                throw new RpcException(new Status(StatusCode.Unauthenticated, AdminToken.DeniedMessage));
        }

        try
        {
            return Task.FromResult(action());
        }
        catch (SnnServeException ex)
        {
            throw ErrorMapping.Rpc(ex);
        }
    }
}
