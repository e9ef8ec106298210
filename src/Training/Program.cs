using SnnServe.Training;
using SnnServe.Training.Native;

LibTorchSharpCompat.EnsureLoadable();
return TrainerCli.Run(args);
