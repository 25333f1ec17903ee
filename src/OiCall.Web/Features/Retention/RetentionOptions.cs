using System.Text.RegularExpressions;

namespace OiCall.Web.Features.Retention;

/// <summary>
/// 통신사실확인자료 (통신비밀보호법 §15-2, 시행령 §41): what the records are sealed to and how long
/// they are kept. The private half of the key never reaches the service.
/// </summary>
public sealed partial class RetentionOptions
{
    /// <summary>Base64 of the 32-byte X25519 public key every record is sealed to.</summary>
    public string? PublicKey { get; set; }

    /// <summary>Names the key pair, stored beside each record so an opener picks the matching private key.</summary>
    public string? KeyId { get; set; }

    /// <summary>
    /// Months a record is kept, then deleted. The law asks 12 for mobile and international calls and 6
    /// for local and long distance; one period for every call, so the expiry kept in clear does not
    /// tell which kind of number a call went to.
    /// </summary>
    public int Months { get; set; } = 12;

    /// <summary>How often expired records are looked for.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    public const int MinMonths = 6, MaxMonths = 60;

    /// <summary>The problem with these settings, or null. <paramref name="keyRequired"/>: outside Development a key must be there.</summary>
    public string? Problem(bool keyRequired)
    {
        if (Months is < MinMonths or > MaxMonths) return $"Retention:Months must be between {MinMonths} and {MaxMonths}.";
        if (PurgeInterval <= TimeSpan.Zero) return "Retention:PurgeInterval must be positive.";
        if (string.IsNullOrWhiteSpace(PublicKey))
            return keyRequired ? "Retention:PublicKey and Retention:KeyId are required (create them with `OiCall.Tools retention keygen`)." : null;
        if (ParsePublicKey(PublicKey) is null) return "Retention:PublicKey must be the base64 of a 32-byte X25519 public key.";
        if (!IsKeyId(KeyId)) return "Retention:KeyId must be 1–32 letters, digits, '.', '_' or '-'.";
        return null;
    }

    public static byte[]? ParsePublicKey(string? base64)
    {
        var bytes = new byte[64];
        return Convert.TryFromBase64String(base64 ?? "", bytes, out var n) && n == RetentionKey.PublicKeyBytes ? bytes[..n] : null;
    }

    public static bool IsKeyId(string? keyId) => keyId is not null && KeyIdPattern().IsMatch(keyId);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,32}$")]
    private static partial Regex KeyIdPattern();
}
