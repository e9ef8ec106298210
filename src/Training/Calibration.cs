using SnnServe.Runtime.Repository;
using SnnServe.Training.Data;
using SnnServe.Training.Export;

namespace SnnServe.Training;

/// <summary>
/// Chooses an exported model's default exit threshold on the validation slice and measures the
/// test split, both through the runtime, writing the calibration table and the results into
/// <c>model.json</c>. Rule, fixed before looking at the test split: the threshold with the highest
/// validation accuracy among those whose validation mean exit timestep is ≤ 1.5 (ties: the lowest
/// threshold); when none qualifies, the lowest threshold within 0.2 points of running to T_max.
/// </summary>
public static class Calibration
{
    /// <summary>The mean-exit-timestep budget of the default threshold (ARCHITECTURE.md: ≤ 1.5).</summary>
    public const double TimestepBudget = 1.5;

    public static ModelManifest Calibrate(string versionFolder, MnistData data, bool fixedTimesteps)
    {
        ModelManifest manifest;
        int timesteps;
        List<CalibrationPoint> table;
        float threshold;
        using (var evaluation = new Evaluation(versionFolder))
        {
            manifest = evaluation.Model.Manifest;
            timesteps = manifest.ExitPolicy!.MaxTimesteps;
            var traces = evaluation.Trace(data, data.Indices(SplitPart.Validation));
            var (accT, _) = Evaluation.AtThreshold(traces, 2f);
            table = Evaluation.Thresholds.Select(tau =>
            {
                var (acc, mean) = Evaluation.AtThreshold(traces, tau);
                return new CalibrationPoint { Threshold = tau, Accuracy = Math.Round(acc, 5), MeanTimesteps = Math.Round(mean, 4) };
            }).ToList();
            CalibrationPoint? best = table.Where(p => p.MeanTimesteps <= TimestepBudget)
                .OrderByDescending(p => p.Accuracy).ThenBy(p => p.Threshold).FirstOrDefault();
            threshold = (best ?? table.FirstOrDefault(p => p.Accuracy >= accT - 0.002) ?? table[^1]).Threshold;
        }

        manifest.ExitPolicy.MinTimesteps = 1;
        if (fixedTimesteps)
        {
            // A fixed-T model: every request runs all T timesteps (the conventional SNN baseline).
            threshold = 1f;
            manifest.ExitPolicy.MinTimesteps = timesteps;
        }

        manifest.ExitPolicy.Threshold = threshold;
        manifest.Calibration = table;
        ModelExporter.Rewrite(versionFolder, manifest);

        using var final = new Evaluation(versionFolder);
        int[] test = data.Indices(SplitPart.Test);
        var (testAccT, _) = Evaluation.AtThreshold(final.Trace(data, test), 2f);
        var (served, servedMean, firing) = final.Served(data, test);
        ProvenanceSpec provenance = manifest.Provenance ??= new ProvenanceSpec();
        provenance.TestAccuracy = Math.Round(served, 5);
        provenance.TestMeanTimesteps = Math.Round(servedMean, 4);
        provenance.Notes = $"test split ({test.Length} images), runtime kernel: {served * 100:0.00}% at {servedMean:0.000} mean timesteps " +
            $"(default policy: max probability ≥ {threshold}, min {manifest.ExitPolicy.MinTimesteps}); {testAccT * 100:0.00}% when run to T={timesteps}; " +
            $"firing rate {firing * 100:0.00}% of neurons per timestep";
        ModelExporter.Rewrite(versionFolder, manifest);
        return manifest;
    }
}
