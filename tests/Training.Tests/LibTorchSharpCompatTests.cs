using SnnServe.Training.Native;
using static TorchSharp.torch;

namespace SnnServe.Training.Tests;

public sealed class LibTorchSharpCompatTests
{
    [Fact]
    public void AfterEnsureLoadable_TorchSharpRuns()
    {
        using Tensor x = ones(3).mul(2.0);
        Assert.Equal(6f, x.sum().item<float>());
    }

    [Fact]
    public void ApplicationCopy_RequirementIsWeakWhereTheSystemLacksIt()
    {
        string library = Directory.EnumerateFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).First();
        if (!LibTorchSharpCompat.SystemHasVersion())
        {
            Assert.True(LibTorchSharpCompat.IsWeakOrAbsent(library));
        }

        Assert.False(LibTorchSharpCompat.MarkWeak(library) && LibTorchSharpCompat.SystemHasVersion() is false && !LibTorchSharpCompat.IsWeakOrAbsent(library));
    }

    [Fact]
    public void MarkWeak_OnPristineCopy_SetsFlagOnceAndIsIdempotent()
    {
        string original = Directory.EnumerateFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).First();
        string package = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages", "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        string source = File.Exists(package) ? package : original;
        string copy = Path.Combine(Path.GetTempPath(), $"libLibTorchSharp-{Guid.NewGuid():N}.so");
        File.Copy(source, copy);
        try
        {
            bool wasWeak = LibTorchSharpCompat.IsWeakOrAbsent(copy);
            Assert.Equal(!wasWeak, LibTorchSharpCompat.MarkWeak(copy));
            Assert.True(LibTorchSharpCompat.IsWeakOrAbsent(copy));
            Assert.False(LibTorchSharpCompat.MarkWeak(copy));
            Assert.Equal(new FileInfo(source).Length, new FileInfo(copy).Length);
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [Fact]
    public void MarkWeak_NotElf_Throws()
    {
        string file = Path.GetTempFileName();
        File.WriteAllText(file, "not an ELF file at all, just text padding the header out");
        try
        {
            Assert.Throws<InvalidDataException>(() => LibTorchSharpCompat.MarkWeak(file));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
