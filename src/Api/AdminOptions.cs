namespace SnnServe.Api;

/// <summary>Settings of the admin API (<c>SnnServe:Admin</c>).</summary>
public sealed class AdminOptions
{
    /// <summary>Bearer token the admin endpoints require. Defaults to none: the admin API is then refused (403).</summary>
    public string? Token { get; set; }
}
