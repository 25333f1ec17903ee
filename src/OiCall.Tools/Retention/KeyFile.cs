using System.Text.Json;
using OiCall.Web.Features.Retention;

namespace OiCall.Tools.Retention;

/// <summary>
/// A retention key pair as the operator keeps it, offline: its id, the public half (for the
/// service's Retention:PublicKey) and the private half (only for opening records).
/// </summary>
public sealed record KeyFile(string KeyId, string PublicKey, string PrivateKey)
{
    public static int Generate(Arguments options, TextWriter output)
    {
        var path = options.Required("out");
        var keyId = options.Optional("key-id") ?? DateTime.UtcNow.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        if (!RetentionOptions.IsKeyId(keyId)) throw new UsageException("--key-id must be 1–32 letters, digits, '.', '_' or '-'.");
        if (File.Exists(path)) throw new UsageException($"{path} exists; a key file is never overwritten.");

        using var pair = Sodium.PublicKeyBox.GenerateKeyPair();
        var file = new KeyFile(keyId, Convert.ToBase64String(pair.PublicKey), Convert.ToBase64String(pair.PrivateKey));
        using (var stream = OwnerOnlyFile.Create(path))
            JsonSerializer.Serialize(stream, file, JsonSerializerOptions.Web);

        output.WriteLine($"""
            Wrote the key pair {keyId} to {path}. Keep it offline; the service must never have it.
            Give the service the public half:
              Retention:PublicKey = {file.PublicKey}
              Retention:KeyId = {keyId}
            (environment: Retention__PublicKey={file.PublicKey} Retention__KeyId={keyId})
            """);
        return 0;
    }

    /// <summary>Reads a key file and checks that its halves belong together.</summary>
    public static (string KeyId, byte[] PublicKey, byte[] PrivateKey) Read(string path)
    {
        KeyFile? file;
        try
        {
            file = JsonSerializer.Deserialize<KeyFile>(File.ReadAllBytes(path), JsonSerializerOptions.Web);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new UsageException($"{path}: not a readable key file ({e.Message}).");
        }
        var publicKey = RetentionOptions.ParsePublicKey(file?.PublicKey);
        var privateKey = RetentionOptions.ParsePublicKey(file?.PrivateKey); // the same 32-byte shape
        if (file is null || !RetentionOptions.IsKeyId(file.KeyId) || publicKey is null || privateKey is null
            || !Sodium.ScalarMult.Base(privateKey).AsSpan().SequenceEqual(publicKey))
            throw new UsageException($"{path}: not a retention key file (keyId, publicKey, privateKey that belong together).");
        return (file.KeyId, publicKey, privateKey);
    }
}
