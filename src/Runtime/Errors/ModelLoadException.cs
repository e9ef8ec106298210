namespace SnnServe.Runtime.Errors;

/// <summary>
/// A model folder failed validation. The message always names the file and the field (or
/// tensor) at fault, e.g. <c>model.json: layers[2].weight: tensor 'fc1.weight' not found</c>.
/// </summary>
public sealed class ModelLoadException : SnnServeException
{
    /// <summary>Creates a load error for <paramref name="file"/> and <paramref name="field"/>.</summary>
    public ModelLoadException(string file, string field, string problem, Exception? inner = null)
        : base(ErrorKind.InvalidModel, $"{file}: {field}: {problem}", inner)
    {
        File = file;
        Field = field;
        Problem = problem;
    }

    /// <summary>The file at fault, relative to the version folder (or the folder itself).</summary>
    public string File { get; }

    /// <summary>The JSON path, tensor name or header field at fault.</summary>
    public string Field { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}
