using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Repository;

namespace SnnServe.Api;

/// <summary>Settings of repository polling (<c>SnnServe:Polling</c>).</summary>
public sealed class PollingOptions
{
    /// <summary>Seconds between scans of the model repository; 0 turns polling off. Defaults to 0.</summary>
    public double IntervalSeconds { get; set; }
}

/// <summary>
/// Watches the model repository by polling: a model folder whose fingerprint (version folders and
/// the names, sizes and write times of their files) changed since the last scan is reloaded through
/// <see cref="ModelRepository.LoadModel"/> — new versions go live atomically, corrupt ones are logged
/// and the live version keeps serving; a model folder that disappeared is unloaded.
/// </summary>
internal sealed partial class RepositoryPoller(
    ModelRepository repository, Microsoft.Extensions.Options.IOptions<PollingOptions> options, TimeProvider time, ILogger<RepositoryPoller> logger) : BackgroundService
{
    private readonly Dictionary<string, string> _fingerprints = new(StringComparer.Ordinal);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Record what the startup load saw before the host reports started (ExecuteAsync runs on
        // its own task), so a change made right after start is not mistaken for the baseline.
        if (options.Value.IntervalSeconds > 0)
        {
            ScanOnce(initial: true);
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        double seconds = options.Value.IntervalSeconds;
        if (seconds <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                ScanOnce(initial: false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Never let one failed scan end polling (or, through the host's default
                // BackgroundServiceExceptionBehavior, stop the server): log it and scan again next tick.
                Log.ScanFailed(logger, ex);
            }
        }
    }

    /// <summary>One scan; on the first one only the fingerprints are recorded.</summary>
    internal void ScanOnce(bool initial)
    {
        if (!Directory.Exists(repository.Root))
        {
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string folder in Directory.EnumerateDirectories(repository.Root))
        {
            string name = Path.GetFileName(folder);
            if (!ModelNames.IsValidName(name))
            {
                continue;
            }

            seen.Add(name);
            string fingerprint;
            try
            {
                fingerprint = Fingerprint(folder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Changing under the scan (a folder or file removed mid-listing): look again next time.
                Log.FolderUnreadable(logger, name, ex.GetType().Name);
                continue;
            }

            if (_fingerprints.TryGetValue(name, out string? previous) && previous == fingerprint)
            {
                continue;
            }

            _fingerprints[name] = fingerprint;
            if (initial)
            {
                continue;
            }

            try
            {
                ModelLoadReport report = repository.LoadModel(name);
                Log.Reloaded(logger, name, string.Join(", ", repository.Versions(name)), report.Failures.Count);
            }
            catch (SnnServeException ex)
            {
                Log.ReloadFailed(logger, name, ex.Message);
            }
        }

        foreach (string gone in _fingerprints.Keys.Where(n => !seen.Contains(n)).ToList())
        {
            _fingerprints.Remove(gone);
            try
            {
                repository.Unload(gone);
            }
            catch (SnnServeException ex) when (ex.Kind == ErrorKind.NotFound)
            {
                // Not loaded (it never loaded, or the admin API unloaded it meanwhile): nothing to do.
            }
        }
    }

    private static string Fingerprint(string folder) => string.Join('\n',
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => new FileInfo(f))
            .Select(f => $"{Path.GetRelativePath(folder, f.FullName)}:{f.Length}:{f.LastWriteTimeUtc.Ticks}")
            .Concat(Directory.EnumerateDirectories(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!));

    private static partial class Log
    {
        [LoggerMessage(2101, LogLevel.Information, "Repository change in {Model}: live versions now [{Versions}], {Failures} folder(s) failed")]
        public static partial void Reloaded(ILogger logger, string model, string versions, int failures);

        [LoggerMessage(2102, LogLevel.Error, "Repository change in {Model} could not be applied: {Error}")]
        public static partial void ReloadFailed(ILogger logger, string model, string error);

        [LoggerMessage(2103, LogLevel.Warning, "Repository folder of {Model} changed while being scanned ({Error}); scanning it again next time")]
        public static partial void FolderUnreadable(ILogger logger, string model, string error);

        [LoggerMessage(2104, LogLevel.Error, "Repository scan failed; polling continues")]
        public static partial void ScanFailed(ILogger logger, Exception exception);
    }
}
