using Microsoft.Extensions.Logging.Abstractions;
using SnnServe.Runtime.Repository;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

/// <summary>
/// The repository poller, scan by scan: files and folders that change or vanish under a scan are
/// load failures or "look again next time", never an exception that would end polling (and, with
/// the host's default BackgroundServiceExceptionBehavior, stop the server).
/// </summary>
public sealed class RepositoryPollerTests : IDisposable
{
    private readonly TempDirectory _root = new("snnserve-poll");
    private readonly ModelRepository _repository;
    private readonly RepositoryPoller _poller;

    public RepositoryPollerTests()
    {
        SyntheticModel.Write(Path.Combine(_root.Path, "m", "1"), ServerFixture.Model);
        var loader = new ModelLoader(new ModelLoaderOptions { RepositoryPath = _root.Path, PreferCuda = false }, NullLogger<ModelLoader>.Instance);
        _repository = new ModelRepository(loader, NullLogger<ModelRepository>.Instance);
        _repository.LoadAll();
        _poller = new RepositoryPoller(_repository, Microsoft.Extensions.Options.Options.Create(new PollingOptions()), TimeProvider.System, NullLogger<RepositoryPoller>.Instance);
        _poller.ScanOnce(initial: true);
    }

    [Fact]
    public void DanglingLinkInNewVersion_PreviousServesOn_FixedVersionGoesLive()
    {
        string version2 = Path.Combine(_root.Path, "m", "2");
        SyntheticModel.Write(version2, ServerFixture.Model with { Seed = 2 });
        File.Delete(Path.Combine(version2, "model.json"));
        File.CreateSymbolicLink(Path.Combine(version2, "model.json"), Path.Combine(version2, "gone.json"));

        _poller.ScanOnce(initial: false);
        Assert.Equal(1, _repository.Resolve("m").Version);

        File.Delete(Path.Combine(version2, "model.json"));
        SyntheticModel.Write(version2, ServerFixture.Model with { Seed = 2 });
        _poller.ScanOnce(initial: false);
        Assert.Equal(2, _repository.Resolve("m").Version);
    }

    [Fact]
    public async Task ModelFoldersCreatedAndDeletedDuringScans_ScansNeverThrow_RemovedModelEndsUnloaded()
    {
        string churn = Path.Combine(_root.Path, "churn");
        using var stop = new CancellationTokenSource();
        Task writer = Task.Run(() =>
        {
            for (int i = 0; i < 300; i++)
            {
                SyntheticModel.Write(Path.Combine(churn, "1"), ServerFixture.Model with { Seed = i });
                SyntheticModel.Write(Path.Combine(churn, "2"), ServerFixture.Model with { Seed = i + 1 });
                Directory.Delete(churn, recursive: true);
            }
        });

        var errors = new List<Exception>();
        int scans = 0;
        while (!writer.IsCompleted)
        {
            try
            {
                _poller.ScanOnce(initial: false);
            }
            catch (Exception ex)
            {
                errors.Add(ex);
            }

            scans++;
        }

        await writer;
        Assert.True(scans > 10, $"only {scans} scans overlapped the changes");
        Assert.Empty(errors);

        _poller.ScanOnce(initial: false);
        Assert.DoesNotContain("churn", _repository.ModelNames);
        Assert.Equal(1, _repository.Resolve("m").Version);
    }

    public void Dispose()
    {
        _repository.Dispose();
        _root.Dispose();
    }
}
