using System.Security.Cryptography;
using OiCall.Web.Data;

namespace OiCall.Web.Infrastructure;

/// <summary>
/// Server-side keys (for example the key that hashes one-time codes). Taken from configuration
/// (Secrets:NAME, base64) when set — required when several instances share a database — otherwise
/// created once in the data directory so a single instance keeps them across restarts.
/// </summary>
public sealed class ServerSecrets(IConfiguration configuration, DataDirectory dataDirectory)
{
    private readonly Dictionary<string, byte[]> _cache = [];
    private readonly Lock _lock = new();

    public byte[] Get(string name)
    {
        lock (_lock)
        {
            if (_cache.TryGetValue(name, out var cached)) return cached;
            var key = Load(name);
            _cache[name] = key;
            return key;
        }
    }

    private byte[] Load(string name)
    {
        if (configuration[$"Secrets:{name}"] is { Length: > 0 } configured) return Convert.FromBase64String(configured);
        var folder = PrivateFiles.CreateDirectory(Path.Combine(dataDirectory.Path, "secrets"));
        var file = Path.Combine(folder, name + ".key");
        if (File.Exists(file)) return Convert.FromBase64String(File.ReadAllText(file).Trim());
        var key = RandomNumberGenerator.GetBytes(32);
        // Another instance on the same directory may have been first: then its key is the key.
        return PrivateFiles.TryCreate(file, Convert.ToBase64String(key)) ? key : Convert.FromBase64String(File.ReadAllText(file).Trim());
    }
}
