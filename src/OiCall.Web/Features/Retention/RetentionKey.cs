using Microsoft.Extensions.Options;

namespace OiCall.Web.Features.Retention;

/// <summary>
/// The public key records are sealed to (libsodium's crypto_box_seal: an ephemeral X25519 key per
/// record, XSalsa20-Poly1305). Sealing needs only the public half; nothing the service holds opens
/// a record, not even one it sealed a moment ago.
/// </summary>
public sealed class RetentionKey(IOptions<RetentionOptions> options)
{
    public const int PublicKeyBytes = 32;

    private readonly byte[]? _publicKey = RetentionOptions.ParsePublicKey(options.Value.PublicKey);

    /// <summary>False in Development without a configured key: calls are then refused (no call without its record).</summary>
    public bool Configured => _publicKey is not null && RetentionOptions.IsKeyId(options.Value.KeyId);

    public string Id => Configured ? options.Value.KeyId! : throw NotConfigured();

    public byte[] Seal(byte[] plaintext) =>
        Sodium.SealedPublicKeyBox.Create(plaintext, Configured ? _publicKey! : throw NotConfigured());

    private static InvalidOperationException NotConfigured() =>
        new("Retention:PublicKey and Retention:KeyId are not configured: no call can be recorded, so none is let through.");
}
