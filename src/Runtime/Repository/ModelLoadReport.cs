namespace SnnServe.Runtime.Repository;

/// <summary>What a (re)load did: the versions now live and the folders that failed.</summary>
public sealed record ModelLoadReport(IReadOnlyList<LoadedModel> Loaded, IReadOnlyList<ModelLoadFailure> Failures);
