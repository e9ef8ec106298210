namespace SnnServe.Runtime.Repository;

/// <summary>Settings of the model loader and repository.</summary>
public sealed class ModelLoaderOptions
{
    /// <summary>Root folder of the model repository. Defaults to <c>models</c>.</summary>
    public string RepositoryPath { get; set; } = "models";

    /// <summary>Try the CUDA execution provider for ONNX models. Defaults to true (falls back to CPU).</summary>
    public bool PreferCuda { get; set; } = true;

    /// <summary>Largest file the loader reads. Defaults to 512 MB.</summary>
    public long MaxFileBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Largest number of timesteps any model may declare or any request may ask for. Defaults to 64.</summary>
    public int MaxTimesteps { get; set; } = 64;
}
