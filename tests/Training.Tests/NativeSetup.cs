using System.Runtime.CompilerServices;
using SnnServe.Training.Native;

namespace SnnServe.Training.Tests;

internal static class NativeSetup
{
    /// <summary>Before any test touches TorchSharp, make its native library loadable on this distribution.</summary>
    [ModuleInitializer]
    internal static void Initialize() => LibTorchSharpCompat.EnsureLoadable();
}
