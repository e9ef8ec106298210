using Microsoft.Extensions.Logging.Abstractions;
using SnnServe.Runtime.Repository;

namespace SnnServe.Training.Tests;

internal static class RuntimeRepository
{
    /// <summary>A loaded runtime repository over <paramref name="root"/> (CPU provider).</summary>
    public static ModelRepository Open(string root)
    {
        var options = new ModelLoaderOptions { RepositoryPath = root, PreferCuda = false };
        var repository = new ModelRepository(new ModelLoader(options, NullLogger<ModelLoader>.Instance), NullLogger<ModelRepository>.Instance);
        repository.LoadAll();
        return repository;
    }
}
