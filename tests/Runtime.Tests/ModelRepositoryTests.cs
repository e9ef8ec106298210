using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Repository;
using SnnServe.TestSupport;

namespace SnnServe.Runtime.Tests;

public sealed class ModelRepositoryTests
{
    [Fact]
    public void SeveralVersions_HighestServedByDefault_AnyByNumber()
    {
        using var repo = new TestRepository(("m", 1, new()), ("m", 3, new() { Seed = 3 }), ("other", 7, new()));
        Assert.Empty(repo.Report.Failures);
        Assert.Equal(3, repo.Repository.Resolve("m").Version);
        Assert.Equal(1, repo.Repository.Resolve("m", 1).Version);
        Assert.Equal([1L, 3L], repo.Repository.Versions("m"));
        Assert.Equal(["m", "other"], repo.Repository.ModelNames);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("abc")]
    [InlineData("01")]
    [InlineData("-2")]
    [InlineData("1.5")]
    public void BadVersionFolder_ReportedAndSkipped_GoodVersionStillLoads(string folder)
    {
        using var repo = new TestRepository(("m", 2, new()));
        SyntheticModel.Write(Path.Combine(repo.Root, "m", folder), new SyntheticModelOptions());

        ModelLoadReport report = repo.Repository.LoadModel("m");

        ModelLoadFailure failure = Assert.Single(report.Failures);
        Assert.Equal(folder, failure.Version);
        Assert.Contains($"m/{folder}: version folder: must be a positive integer", failure.Error);
        Assert.Equal(2, repo.Repository.Resolve("m").Version);
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("/abs")]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData("name with space")]
    public void HostileModelName_InvalidArgument(string name)
    {
        using var repo = new TestRepository(("m", 1, new()));
        var resolve = Assert.Throws<SnnServeException>(() => repo.Repository.Resolve(name));
        Assert.Equal(ErrorKind.InvalidArgument, resolve.Kind);
        var load = Assert.Throws<SnnServeException>(() => repo.Repository.LoadModel(name));
        Assert.Equal(ErrorKind.InvalidArgument, load.Kind);
    }

    [Fact]
    public void UnknownModelOrVersion_NotFound()
    {
        using var repo = new TestRepository(("m", 1, new()));
        Assert.Equal(ErrorKind.NotFound, Assert.Throws<SnnServeException>(() => repo.Repository.Resolve("nope")).Kind);
        var version = Assert.Throws<SnnServeException>(() => repo.Repository.Resolve("m", 9));
        Assert.Equal(ErrorKind.NotFound, version.Kind);
        Assert.Contains("no version 9", version.Message);
        Assert.Equal(ErrorKind.NotFound, Assert.Throws<SnnServeException>(() => repo.Repository.LoadModel("absent")).Kind);
    }

    [Fact]
    public void VersionFolderSymlinkOutsideRepository_Rejected()
    {
        using var outside = new TempDirectory("snnserve-outside");
        SyntheticModel.Write(outside.Path, new SyntheticModelOptions());
        using var repo = new TestRepository(("m", 1, new()));
        Directory.CreateSymbolicLink(Path.Combine(repo.Root, "m", "2"), outside.Path);

        ModelLoadReport report = repo.Repository.LoadModel("m");

        Assert.Contains("points outside the model repository", Assert.Single(report.Failures).Error);
        Assert.Equal([1L], repo.Repository.Versions("m"));
    }

    [Fact]
    public void CorruptReload_KeepsServingPreviousInstance_FixedReloadReplacesIt()
    {
        using var repo = new TestRepository(("m", 1, new()));
        LoadedModel original = repo.Repository.Resolve("m");
        string weights = Path.Combine(repo.Root, "m", "1", "weights.safetensors");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..50]);

        ModelLoadReport failed = repo.Repository.LoadModel("m");

        Assert.Contains("m/1/weights.safetensors: sha256", Assert.Single(failed.Failures).Error);
        Assert.Same(original, repo.Repository.Resolve("m"));
        Assert.False(original.Retired);

        repo.Write("m", 1, new SyntheticModelOptions { Seed = 9 });
        ModelLoadReport fixedReport = repo.Repository.LoadModel("m");

        Assert.Empty(fixedReport.Failures);
        Assert.NotSame(original, repo.Repository.Resolve("m"));
        Assert.True(original.Retired);
    }

    [Fact]
    public void NewVersionFolder_BecomesDefault_RemovedFolderUnloads()
    {
        using var repo = new TestRepository(("m", 1, new()));
        repo.Write("m", 2, new SyntheticModelOptions());
        repo.Repository.LoadModel("m");
        Assert.Equal(2, repo.Repository.Resolve("m").Version);

        LoadedModel v2 = repo.Repository.Resolve("m");
        Directory.Delete(Path.Combine(repo.Root, "m", "2"), recursive: true);
        repo.Repository.LoadModel("m");

        Assert.Equal(1, repo.Repository.Resolve("m").Version);
        Assert.True(v2.Retired);
    }

    [Theory]
    [InlineData("weights.safetensors")]
    [InlineData("model.json")]
    public void DanglingLinkedFile_ReportedAsLoadFailure_PreviousVersionServes_LoadAllDoesNotThrow(string file)
    {
        // File.Exists is true for a dangling link, but reading it throws FileNotFoundException: the
        // load must turn that into a load failure (it used to escape LoadModel and LoadAll).
        using var repo = new TestRepository(("m", 1, new()));
        string version2 = repo.Write("m", 2, new SyntheticModelOptions { Seed = 2 });
        File.Delete(Path.Combine(version2, file));
        File.CreateSymbolicLink(Path.Combine(version2, file), Path.Combine(version2, "no-such-target"));

        ModelLoadReport report = repo.Repository.LoadModel("m");

        ModelLoadFailure failure = Assert.Single(report.Failures);
        Assert.Equal("2", failure.Version);
        Assert.Contains($"{file}: (file): cannot be read: it is gone or a dangling link", failure.Error);
        Assert.DoesNotContain(repo.Root, failure.Error); // no server path in the message
        Assert.Equal(1, repo.Repository.Resolve("m").Version);

        using var fresh = new ModelRepository(repo.Loader, Microsoft.Extensions.Logging.Abstractions.NullLogger<ModelRepository>.Instance);
        ModelLoadReport startup = fresh.LoadAll();
        Assert.Equal("2", Assert.Single(startup.Failures).Version);
        Assert.Equal(1, fresh.Resolve("m").Version);
    }

    [Fact]
    public void FileLinkedToAFolder_ReportedAsLoadFailure()
    {
        using var repo = new TestRepository(("m", 1, new()));
        string version2 = repo.Write("m", 2, new SyntheticModelOptions { Seed = 2 });
        File.Delete(Path.Combine(version2, "weights.safetensors"));
        Directory.CreateDirectory(Path.Combine(version2, "folder"));
        File.CreateSymbolicLink(Path.Combine(version2, "weights.safetensors"), Path.Combine(version2, "folder"));

        ModelLoadReport report = repo.Repository.LoadModel("m");

        Assert.Contains("weights.safetensors: (file):", Assert.Single(report.Failures).Error);
        Assert.Equal(1, repo.Repository.Resolve("m").Version);
    }

    [Fact]
    public void Unload_WithLeaseHeld_ScoutStaysUsableUntilReleased()
    {
        using var repo = new TestRepository(("m", 1, new SyntheticModelOptions { ScoutMode = "rate" }));
        LoadedModel model = repo.Repository.Resolve("m");
        Assert.True(model.TryAcquire());

        repo.Repository.Unload("m");

        Assert.True(model.Retired);
        Assert.False(model.TryAcquire());
        var map = new float[9];
        model.Scout!.Run(new float[144], map);
        Assert.All(map, m => Assert.InRange(m, 0f, 1f));
        Assert.False(model.NativeReleased);
        model.Release();
        Assert.True(model.NativeReleased);
        Assert.Equal(ErrorKind.NotFound, Assert.Throws<SnnServeException>(() => repo.Repository.Resolve("m")).Kind);
    }

    [Fact]
    public void InvalidModelFolderName_ReportedByLoadAll()
    {
        using var repo = new TestRepository(("good", 1, new()));
        SyntheticModel.Write(Path.Combine(repo.Root, "bad name", "1"), new SyntheticModelOptions());

        ModelLoadReport report = repo.Repository.LoadAll();

        Assert.Contains(report.Failures, f => f.Error.Contains("bad name: folder name: not a valid model name"));
        Assert.Equal(["good"], repo.Repository.ModelNames);
    }
}
