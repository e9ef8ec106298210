using System.Text.RegularExpressions;
using SnnServe.Runtime.Errors;

namespace SnnServe.Runtime.Repository;

/// <summary>
/// What counts as a model name, a version folder and a file name, and the check that a resolved
/// path stays inside the repository. Everything that turns client or manifest text into a path
/// goes through here.
/// </summary>
public static partial class ModelNames
{
    /// <summary>Longest accepted model name. Defaults to 128 characters.</summary>
    public const int MaxNameLength = 128;

    /// <summary>True for 1–128 characters of [A-Za-z0-9_.-], starting with a letter or digit, without "..".</summary>
    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= MaxNameLength } && NamePattern().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    /// <summary>Throws <see cref="ErrorKind.InvalidArgument"/> for a name that is not valid.</summary>
    public static void EnsureValidName(string? name)
    {
        if (!IsValidName(name))
        {
            throw new SnnServeException(ErrorKind.InvalidArgument,
                $"invalid model name '{Truncate(name)}': use 1-{MaxNameLength} characters from [A-Za-z0-9_.-], starting with a letter or digit");
        }
    }

    /// <summary>Parses a version folder name: a positive integer in canonical form (no sign, no leading zeros).</summary>
    public static bool TryParseVersion(string? text, out long version)
    {
        version = 0;
        return text is { Length: > 0 and <= 18 } && VersionPattern().IsMatch(text) && long.TryParse(text, out version);
    }

    /// <summary>True for a plain file name (no directory part, not "." or "..").</summary>
    public static bool IsPlainFileName(string? file) =>
        file is { Length: > 0 and <= 255 } && file != "." && file != ".."
        && file.IndexOfAny(['/', '\\', '\0']) < 0 && !Path.IsPathRooted(file);

    /// <summary>
    /// Combines <paramref name="root"/> and <paramref name="relative"/> and checks the result,
    /// with symbolic links resolved, is still inside <paramref name="root"/>.
    /// </summary>
    public static string ContainedPath(string root, string relative, string fileForErrors, string field)
    {
        string fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        string full = Path.GetFullPath(Path.Combine(fullRoot, relative));
        string resolved = ResolveLinks(full);
        string resolvedRoot = ResolveLinks(fullRoot);
        if (!IsUnder(full, fullRoot) || !IsUnder(resolved, resolvedRoot))
        {
            throw new ModelLoadException(fileForErrors, field, $"'{Truncate(relative)}' points outside the model repository");
        }

        return full;
    }

    private static bool IsUnder(string path, string root) =>
        path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string ResolveLinks(string path)
    {
        // Resolve every existing component, so a link anywhere on the way is followed.
        string? parent = Path.GetDirectoryName(path);
        string resolvedParent = parent is null || parent == path ? path : ResolveLinks(parent);
        string candidate = parent is null || parent == path ? path : Path.Combine(resolvedParent, Path.GetFileName(path));
        FileSystemInfo info = Directory.Exists(candidate) ? new DirectoryInfo(candidate) : new FileInfo(candidate);
        if (info.Exists && info.LinkTarget is not null)
        {
            FileSystemInfo? target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is not null)
            {
                return Path.GetFullPath(target.FullName);
            }
        }

        return candidate;
    }

    private static string Truncate(string? text) => text is null ? "" : text.Length > 80 ? text[..80] + "…" : text;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[1-9][0-9]*$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
