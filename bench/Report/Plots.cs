using ScottPlot;

namespace SnnServe.Benchmarks.Report;

/// <summary>The report's PNG plots (ScottPlot, rendered headless).</summary>
public static class Plots
{
    private const int Width = 640;
    private const int Height = 420;

    /// <summary>Accuracy against mean timesteps: the exit-threshold sweep vs fixed T, the default marked.</summary>
    public static void Pareto(string path, (double Timesteps, double Accuracy)[] sweep, (double Timesteps, double Accuracy)[] fixedT, (double Timesteps, double Accuracy) chosen)
    {
        var plot = new Plot();
        var early = plot.Add.Scatter(sweep.Select(p => p.Timesteps).ToArray(), sweep.Select(p => p.Accuracy).ToArray());
        early.LegendText = "early exit, threshold sweep";
        var fixedLine = plot.Add.Scatter(fixedT.Select(p => p.Timesteps).ToArray(), fixedT.Select(p => p.Accuracy).ToArray());
        fixedLine.LegendText = "fixed T (no exit)";
        var marker = plot.Add.Marker(chosen.Timesteps, chosen.Accuracy, MarkerShape.FilledDiamond, 12);
        marker.LegendText = "default threshold";
        plot.Title("Accuracy vs mean timesteps (test split)");
        plot.XLabel("mean timesteps per inference");
        plot.YLabel("accuracy (%)");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>How many test digits exit at each timestep.</summary>
    public static void Histogram(string path, int[] counts)
    {
        var plot = new Plot();
        plot.Add.Bars(counts.Select(c => (double)c).ToArray());
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, counts.Length).Select(i => (double)i).ToArray(),
            Enumerable.Range(1, counts.Length).Select(t => $"t={t}").ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Title("Exit timestep distribution (default threshold)");
        plot.YLabel("test digits");
        plot.SavePng(path, Width, Height);
    }

    /// <summary>Mean timesteps against the perturbation level, one line per perturbation (levels normalised to 0–1).</summary>
    public static void Difficulty(string path, IReadOnlyList<(string Name, double[] Levels, double[] Timesteps)> series)
    {
        var plot = new Plot();
        foreach (var (name, levels, timesteps) in series)
        {
            double max = levels.Max();
            var line = plot.Add.Scatter(levels.Select(l => max == 0 ? 0 : l / max).ToArray(), timesteps);
            line.LegendText = $"{name} (max {max:0.##})";
        }

        plot.Title("Compute scales with difficulty");
        plot.XLabel("perturbation level (fraction of the largest)");
        plot.YLabel("mean timesteps to exit");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
    }
}
