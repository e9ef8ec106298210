using System.Text.RegularExpressions;
using SnnServe.Benchmarks.Report;
using SnnServe.TestSupport;

namespace SnnServe.Training.Tests;

/// <summary>
/// The report command (bench -- report) on a tiny subset of the test split, so it cannot rot: every
/// section is produced, the numbers are real (accuracies in range, ratios positive), the plots are PNGs.
/// </summary>
public sealed partial class ReportGeneratorTests
{
    [Fact]
    public void Perturbations_SeededIndependentlyOfTheProcess()
    {
        // Seeds are plain arithmetic of (image index, level), not HashCode.Combine (randomised per
        // process), so every run of the report perturbs the same digits the same way.
        float[] grey = Enumerable.Repeat(0.5f, 784).ToArray();
        var random = new Random(3 * 1_000_003 + 200);
        double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
        float expected = (float)Math.Clamp(0.5 + 0.2 * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2), 0, 1);
        Assert.Equal(expected, Perturbations.Noise(grey, 3, 0.2)[0]);

        var place = new Random(7 * 1_000_003 + 8000);
        int y0 = 4 + place.Next(13), x0 = 4 + place.Next(13);
        float[] occluded = Perturbations.Occlude(grey, 7, 8);
        Assert.Equal(0f, occluded[y0 * 28 + x0]);
        Assert.Equal(64, occluded.Count(v => v == 0f));
    }

    [Fact]
    public void TinySubset_WritesEverySectionAndThePlots()
    {
        using var output = new TempDirectory("snnserve-report");
        using var ablations = new TempDirectory("snnserve-ablations");
        File.WriteAllText(Path.Combine(output.Path, "benchmarks.md"), "# Benchmarks\n\nkept\n\n<!-- report:begin -->\nold\n<!-- report:end -->\n\ntail\n");

        string report = ReportCommand.Generate(new ReportCommand.Options(12, output.Path, BundledData.Models, ablations.Path, Write: true), TextWriter.Null);

        foreach (string section in new[] { "### The seed's table, measured", "### Accuracy against mean timesteps", "### Compute scales with difficulty", "### Ablations", "### Peers on the same inputs", "Physical bound" })
        {
            Assert.Contains(section, report);
        }

        Assert.Contains("Machine: ", report);
        Assert.Contains("(12 test images)", report);
        string written = File.ReadAllText(Path.Combine(output.Path, "benchmarks.md"));
        Assert.StartsWith("# Benchmarks\n\nkept", written);
        Assert.EndsWith("<!-- report:end -->\n\ntail\n", written);
        Assert.DoesNotContain("\nold\n", written);

        // The seed's table: three accuracies, each a real measurement on 12 images.
        Match accuracy = AccuracyRow().Match(report);
        Assert.True(accuracy.Success, report);
        foreach (int g in new[] { 1, 2, 3 })
        {
            Assert.InRange(double.Parse(accuracy.Groups[g].Value, System.Globalization.CultureInfo.InvariantCulture), 50, 100);
        }

        Assert.Contains("not measured: `mnist-alif-final`", report);
        Assert.Matches(@"\| \(a\) ONNX Runtime, SNN unrolled over T_max as one dense graph \| \d+\.\d+ % \| \d+ µs \| \d+\.\d+ \|", report);
        foreach (string plot in new[] { "pareto.png", "exit-timesteps.png", "difficulty.png" })
        {
            byte[] png = File.ReadAllBytes(Path.Combine(output.Path, "plots", plot));
            Assert.True(png.Length > 5_000, plot);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        }
    }

    [GeneratedRegex(@"\| test accuracy \| (\d+\.\d+) % \| (\d+\.\d+) % \| (\d+\.\d+) % \|")]
    private static partial Regex AccuracyRow();
}
