using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using OiCall.Web.Data;

namespace OiCall.Web.Infrastructure;

/// <summary>
/// The data directory holds the database, documents, secrets and keys: only the service's own
/// user may enter it (0700), and what holds a secret is created readable by that user alone (0600)
/// from the first byte — never written first and narrowed afterwards.
/// </summary>
public static class PrivateFiles
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the directory 0700, or narrows an existing one that others could enter.</summary>
    public static string CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) return Directory.CreateDirectory(path).FullName;
        var directory = Directory.CreateDirectory(path, OwnerOnlyDirectory);
        if ((directory.UnixFileMode & ~OwnerOnlyDirectory) != 0) directory.UnixFileMode = OwnerOnlyDirectory;
        return directory.FullName;
    }

    /// <summary>
    /// Writes a new file 0600 and puts it in place in one step, so nobody ever reads half of it;
    /// false when the file exists already (another instance was first): read that one.
    /// </summary>
    public static bool TryCreate(string path, string content)
    {
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnlyFile;
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        try
        {
            File.Move(temporary, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return false;
        }
    }

    /// <summary>
    /// Data Protection (cookies, antiforgery) keeps its keys in {data}/keys (0700). With
    /// DataProtection:CertificatePath (a PKCS#12 file, DataProtection:CertificatePassword) the keys
    /// are encrypted with that certificate at rest; without one they are stored as plain XML that
    /// only the directory's mode protects, and the service says so at start outside Development.
    /// </summary>
    public static void AddOiCallDataProtection(this WebApplicationBuilder builder, DataDirectory data)
    {
        var keys = CreateDirectory(Path.Combine(data.Path, "keys"));
        var protection = builder.Services.AddDataProtection()
            .SetApplicationName("OiCall")
            .PersistKeysToFileSystem(new DirectoryInfo(keys));
        if (builder.Configuration["DataProtection:CertificatePath"] is { Length: > 0 } certificatePath)
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, builder.Configuration["DataProtection:CertificatePassword"]);
            protection.ProtectKeysWithCertificate(certificate);
        }
        else if (!builder.Environment.IsDevelopment())
        {
            builder.Services.AddHostedService<UnencryptedKeysNotice>();
        }
    }

    private sealed class UnencryptedKeysNotice(ILogger<UnencryptedKeysNotice> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            logger.LogWarning("Data Protection keys are stored unencrypted in the data directory (readable by this user only); set DataProtection:CertificatePath to encrypt them at rest.");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
