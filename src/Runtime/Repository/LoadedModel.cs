using System.Collections.Concurrent;
using SnnServe.Runtime.Classifier;
using SnnServe.Runtime.Encoders;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Exit;
using SnnServe.Runtime.Network;
using SnnServe.Runtime.Scout;

namespace SnnServe.Runtime.Repository;

/// <summary>
/// One version of a model, fully validated and ready to serve: the compiled network, the scout
/// session, the encoder settings and the default exit policy. Immutable once built. Requests hold
/// a lease (<see cref="TryAcquire"/>/<see cref="Release"/>); a retired model frees its native
/// resources only when the last lease is released, so unloading never breaks a running request.
/// </summary>
public sealed class LoadedModel
{
    private readonly ConcurrentBag<RequestContext> _contexts = [];
    private int _leases;
    private int _retired;
    private int _disposed;

    internal LoadedModel(
        string name, long version, string directory, ModelManifest manifest, SnnNetwork? network, Shape3 inputShape,
        IReadOnlyList<string> labels, EncoderKind encoder, OnnxScout? scout, ModulationMode modulation,
        ExitPolicy defaultPolicy, IReadOnlyDictionary<string, string> fileHashes, OnnxClassifier? classifier = null)
    {
        _network = network;
        InputShape = inputShape;
        Classifier = classifier;
        Name = name;
        Version = version;
        Directory = directory;
        Manifest = manifest;
        Labels = labels;
        Encoder = encoder;
        Scout = scout;
        Modulation = modulation;
        DefaultPolicy = defaultPolicy;
        FileHashes = fileHashes;
    }

    public string Name { get; }
    public long Version { get; }

    /// <summary>The version folder it was loaded from.</summary>
    public string Directory { get; }

    public ModelManifest Manifest { get; }
    private readonly SnnNetwork? _network;

    /// <summary>The spiking network (<c>snn</c> platform only).</summary>
    public SnnNetwork Network => _network ?? throw new InvalidOperationException($"model '{Name}' is a single-pass ONNX classifier, not an SNN");

    /// <summary>Input shape [C, H, W].</summary>
    public Shape3 InputShape { get; }

    /// <summary>The single-pass classifier of an <c>onnx</c>-platform model, or null for an SNN.</summary>
    public OnnxClassifier? Classifier { get; }

    /// <summary>True for an <c>onnx</c>-platform model: one pass, no timesteps, no spikes.</summary>
    public bool SinglePass => Classifier is not null;

    /// <summary><c>snn</c> or <c>onnx</c>.</summary>
    public string Platform => SinglePass ? "onnx" : "snn";
    public IReadOnlyList<string> Labels { get; }
    /// <summary>The SNN's input encoder (meaningless for single-pass models).</summary>
    public EncoderKind Encoder { get; }

    /// <summary>The saliency scout, or null when the model has none.</summary>
    public OnnxScout? Scout { get; }

    public ModulationMode Modulation { get; }
    public ExitPolicy DefaultPolicy { get; }

    /// <summary>sha256 of every file, as verified at load.</summary>
    public IReadOnlyDictionary<string, string> FileHashes { get; }

    public InputSpec Input => Manifest.Input!;
    public EncoderSpec EncoderSettings => Manifest.Encoder!;

    /// <summary>The ORT execution provider of the scout, or "none".</summary>
    public string ScoutProvider => Scout?.ExecutionProvider ?? "none";

    /// <summary>Number of classes.</summary>
    public int Classes => Labels.Count;

    /// <summary>True once unloaded or replaced; no new requests should start on it.</summary>
    public bool Retired => Volatile.Read(ref _retired) != 0;

    /// <summary>True once the scout session and other native resources have been released.</summary>
    internal bool NativeReleased => Volatile.Read(ref _disposed) != 0;

    /// <summary>Takes a lease; false if the model is retired.</summary>
    public bool TryAcquire()
    {
        Interlocked.Increment(ref _leases);
        if (Retired)
        {
            Release();
            return false;
        }

        return true;
    }

    /// <summary>Returns a lease taken with <see cref="TryAcquire"/>.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && Retired)
        {
            DisposeNative();
        }
    }

    /// <summary>Marks the model retired; native resources go when the last lease does.</summary>
    internal void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 0 && Volatile.Read(ref _leases) == 0)
        {
            DisposeNative();
        }
    }

    internal RequestContext RentContext()
    {
        if (_contexts.TryTake(out RequestContext? context))
        {
            context.State.Reset();
            return context;
        }

        Interlocked.Increment(ref _contextsCreated);
        return new RequestContext(Network, Scout is null ? 0 : Scout.MapHeight * Scout.MapWidth);
    }

    /// <summary>Leases held now (requests in flight).</summary>
    internal int Leases => Volatile.Read(ref _leases);

    /// <summary>Request contexts ever allocated (the pool's high-water mark, for leak tests).</summary>
    internal long ContextsCreated => Interlocked.Read(ref _contextsCreated);

    private long _contextsCreated;

    internal void ReturnContext(RequestContext context)
    {
        if (_contexts.Count < 64)
        {
            _contexts.Add(context);
        }
    }

    private void DisposeNative()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Scout?.Dispose();
            Classifier?.Dispose();
        }
    }
}
