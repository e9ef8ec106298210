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
