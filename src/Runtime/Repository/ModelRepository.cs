using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using SnnServe.Runtime.Errors;

namespace SnnServe.Runtime.Repository;

/// <summary>
/// The Triton-style model repository: <c>&lt;root&gt;/&lt;name&gt;/&lt;version&gt;/</c>. Every valid
/// version of every model is loaded; the highest version is served by default. The set of live
/// models is an immutable snapshot swapped atomically, so readers never lock and never see a
/// half-loaded model. A version that fails to load never replaces the one already serving.
/// </summary>
public sealed partial class ModelRepository : IDisposable
{
    private readonly ModelLoader _loader;
    private readonly ILogger<ModelRepository> _logger;
    private readonly Lock _writeLock = new();
    private ImmutableSortedDictionary<string, ImmutableSortedDictionary<long, LoadedModel>> _models =
        ImmutableSortedDictionary.Create<string, ImmutableSortedDictionary<long, LoadedModel>>(StringComparer.Ordinal);

    /// <summary>Creates a repository over <see cref="ModelLoaderOptions.RepositoryPath"/>; nothing is loaded until <see cref="LoadAll"/>.</summary>
    public ModelRepository(ModelLoader loader, ILogger<ModelRepository> logger)
    {
        _loader = loader;
        _logger = logger;
        Root = Path.GetFullPath(loader.Options.RepositoryPath);
    }

    /// <summary>Absolute path of the repository root.</summary>
    public string Root { get; }

    /// <summary>Every live model version, ordered by name then version.</summary>
    public IReadOnlyList<LoadedModel> Models => _models.Values.SelectMany(v => v.Values).ToList();

    /// <summary>Names of the models with at least one live version.</summary>
    public IReadOnlyList<string> ModelNames => _models.Keys.ToList();

    /// <summary>Scans the root and loads every model folder. Failures are logged and reported, never thrown.</summary>
    public ModelLoadReport LoadAll()
    {
        if (!Directory.Exists(Root))
        {
            throw new SnnServeException(ErrorKind.NotFound, $"model repository '{Root}' does not exist");
        }

        var loaded = new List<LoadedModel>();
        var failures = new List<ModelLoadFailure>();
        foreach (string folder in Directory.EnumerateDirectories(Root).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(folder);
            if (!Repository.ModelNames.IsValidName(name))
            {
                failures.Add(Fail(name, "", $"{name}: folder name: not a valid model name"));
                continue;
            }

            ModelLoadReport report;
            try
            {
                report = LoadModel(name);
            }
            catch (SnnServeException ex)
            {
                // E.g. the folder was removed since the scan listed it.
                failures.Add(Fail(name, "", ex.Message)); // names the model already
                continue;
            }

            loaded.AddRange(report.Loaded);
            failures.AddRange(report.Failures);
        }

        return new ModelLoadReport(loaded, failures);
    }

    /// <summary>
    /// (Re)loads every version folder of model <paramref name="name"/> from disk. Versions that load
    /// replace the live ones atomically; versions that fail leave the live ones serving; versions
    /// whose folder is gone are unloaded.
    /// </summary>
    public ModelLoadReport LoadModel(string name)
    {
        Repository.ModelNames.EnsureValidName(name);
        string folder = Repository.ModelNames.ContainedPath(Root, name, name, "(folder)");
        if (!Directory.Exists(folder))
        {
            throw new SnnServeException(ErrorKind.NotFound, $"model '{name}' has no folder in the repository");
        }

        string[] versionFolders;
        try
        {
            versionFolders = Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal).ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Removed (or made unreadable) between the check above and the listing: nothing changes.
            bool removed = ex is DirectoryNotFoundException;
            throw new SnnServeException(removed ? ErrorKind.NotFound : ErrorKind.InvalidModel,
                $"model '{name}': its folder cannot be listed ({(removed ? "it was removed" : ex.GetType().Name)})", ex);
        }

        var fresh = new Dictionary<long, LoadedModel>();
        var failures = new List<ModelLoadFailure>();
        var seen = new HashSet<long>();
        foreach (string versionFolder in versionFolders)
        {
            string versionText = Path.GetFileName(versionFolder);
            if (!Repository.ModelNames.TryParseVersion(versionText, out long version))
            {
                failures.Add(Fail(name, versionText, $"{name}/{versionText}: version folder: must be a positive integer without leading zeros"));
                continue;
            }

            seen.Add(version);
            try
            {
                string contained = Repository.ModelNames.ContainedPath(Root, Path.Combine(name, versionText), $"{name}/{versionText}", "(folder)");
                fresh[version] = _loader.Load(name, version, contained);
                Log.Loaded(_logger, name, version, fresh[version].ScoutProvider);
            }
            catch (SnnServeException ex)
            {
                failures.Add(Fail(name, versionText, $"{name}/{versionText}/{ex.Message}"));
            }
        }

        var retired = new List<LoadedModel>();
        lock (_writeLock)
        {
            ImmutableSortedDictionary<long, LoadedModel> current = _models.GetValueOrDefault(name)
                ?? ImmutableSortedDictionary<long, LoadedModel>.Empty;
            ImmutableSortedDictionary<long, LoadedModel>.Builder next = current.ToBuilder();
            foreach (var (version, model) in current)
            {
                if (!seen.Contains(version))
                {
                    next.Remove(version);
                    retired.Add(model);
                }
            }

            foreach (var (version, model) in fresh)
            {
                if (next.TryGetValue(version, out LoadedModel? old))
                {
                    retired.Add(old);
                }

                next[version] = model;
            }

            _models = next.Count == 0 ? _models.Remove(name) : _models.SetItem(name, next.ToImmutable());
        }

        foreach (LoadedModel old in retired)
        {
            old.Retire();
        }

        return new ModelLoadReport(fresh.Values.OrderBy(m => m.Version).ToList(), failures);
    }

    /// <summary>Unloads every version of <paramref name="name"/>. Running requests finish on the model they started with.</summary>
    public void Unload(string name)
    {
        Repository.ModelNames.EnsureValidName(name);
        ImmutableSortedDictionary<long, LoadedModel>? removed;
        lock (_writeLock)
        {
            if (!_models.TryGetValue(name, out removed))
            {
                throw new SnnServeException(ErrorKind.NotFound, $"model '{name}' is not loaded");
            }

            _models = _models.Remove(name);
        }

        foreach (LoadedModel model in removed.Values)
        {
            model.Retire();
        }

        Log.Unloaded(_logger, name);
    }

    /// <summary>
    /// The live model <paramref name="name"/> at <paramref name="version"/>, or its highest version
    /// when <paramref name="version"/> is null. Throws <see cref="ErrorKind.InvalidArgument"/> for a
    /// malformed name and <see cref="ErrorKind.NotFound"/> for an unknown model or version.
    /// </summary>
    public LoadedModel Resolve(string name, long? version = null)
    {
        Repository.ModelNames.EnsureValidName(name);
        if (!_models.TryGetValue(name, out ImmutableSortedDictionary<long, LoadedModel>? versions) || versions.Count == 0)
        {
            throw new SnnServeException(ErrorKind.NotFound, $"model '{name}' is not loaded");
        }

        if (version is null)
        {
            return versions.Values.Last();
        }

        return versions.TryGetValue(version.Value, out LoadedModel? model)
            ? model
            : throw new SnnServeException(ErrorKind.NotFound, $"model '{name}' has no version {version} (loaded: {string.Join(", ", versions.Keys)})");
    }

    /// <summary>Live versions of <paramref name="name"/>, ascending (empty when not loaded).</summary>
    public IReadOnlyList<long> Versions(string name) =>
        _models.TryGetValue(name, out var versions) ? versions.Keys.ToList() : [];

    public void Dispose()
    {
        ImmutableSortedDictionary<string, ImmutableSortedDictionary<long, LoadedModel>> all;
        lock (_writeLock)
        {
            all = _models;
            _models = _models.Clear();
        }

        foreach (LoadedModel model in all.Values.SelectMany(v => v.Values))
        {
            model.Retire();
        }
    }

    private ModelLoadFailure Fail(string name, string version, string error)
    {
        Log.LoadFailed(_logger, error);
        return new ModelLoadFailure(name, version, error);
    }

    private static partial class Log
    {
        [LoggerMessage(1101, LogLevel.Information, "Loaded model {Name} version {Version} (scout provider: {Provider})")]
        public static partial void Loaded(ILogger logger, string name, long version, string provider);

        [LoggerMessage(1102, LogLevel.Error, "Model load failed: {Error}")]
        public static partial void LoadFailed(ILogger logger, string error);

        [LoggerMessage(1103, LogLevel.Information, "Unloaded model {Name}")]
        public static partial void Unloaded(ILogger logger, string name);
    }
}
