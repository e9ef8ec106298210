using System.Security.Cryptography;
using System.Text;

namespace SnnServe.Api;

/// <summary>Outcome of checking an admin call's credentials.</summary>
public enum AdminAccess
{
    /// <summary>No token is configured: the admin API is off.</summary>
    Disabled,

    /// <summary>The bearer token is missing or wrong.</summary>
    Denied,

    /// <summary>The bearer token matches.</summary>
    Granted,
}

/// <summary>The one bearer-token check of the REST and gRPC admin APIs (constant-time comparison).</summary>
public static class AdminToken
{
    public static AdminAccess Check(string? configuredToken, string? authorizationHeader)
    {
        if (string.IsNullOrEmpty(configuredToken))
        {
            return AdminAccess.Disabled;
        }

        string header = authorizationHeader ?? "";
        byte[] given = Encoding.UTF8.GetBytes(header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : "");
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(given), SHA256.HashData(Encoding.UTF8.GetBytes(configuredToken)))
            ? AdminAccess.Granted
            : AdminAccess.Denied;
    }

    public const string DisabledMessage = "the admin API is disabled: no admin token is configured (SnnServe:Admin:Token)";
    public const string DeniedMessage = "missing or wrong bearer token";
}
