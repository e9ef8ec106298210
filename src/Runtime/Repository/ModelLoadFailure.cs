namespace SnnServe.Runtime.Repository;

/// <summary>A model folder that did not load, and why.</summary>
/// <param name="Name">Model name (folder name as found).</param>
/// <param name="Version">Version folder name as found (may be invalid, e.g. "0" or "abc").</param>
/// <param name="Error">The error, naming file and field.</param>
public sealed record ModelLoadFailure(string Name, string Version, string Error);
