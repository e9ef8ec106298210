using Microsoft.Extensions.Options;
using SnnServe.Runtime.Repository;

namespace SnnServe.Api;

/// <summary>
/// Resolves a relative repository path against the content root; when no such folder exists there
/// (e.g. `dotnet run --project src/Api` started from another folder of the checkout), the nearest
/// ancestor folder that has it is used, so the bundled `models/` is found without configuration.
/// </summary>
internal sealed class RepositoryPathResolver(string contentRoot) : IPostConfigureOptions<ModelLoaderOptions>
{
    public void PostConfigure(string? name, ModelLoaderOptions options)
    {
        if (Path.IsPathRooted(options.RepositoryPath))
        {
            return;
        }

        for (DirectoryInfo? folder = new(contentRoot); folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, options.RepositoryPath);
            if (Directory.Exists(candidate))
            {
                options.RepositoryPath = candidate;
                return;
            }
        }

        options.RepositoryPath = Path.Combine(contentRoot, options.RepositoryPath);
    }
}
