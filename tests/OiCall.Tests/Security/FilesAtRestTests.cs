using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OiCall.Tests.Support;

namespace OiCall.Tests.Security;

/// <summary>The data directory, secrets and keys are the service user's alone; keys are encrypted when a certificate is configured.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FilesAtRestTests
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Uses a secret (the code hash key) and a Data Protection key (the web login's cookie).</summary>
    private static async Task UseSecretsAndKeysAsync(TestApp app)
    {
        await app.PersonAsync("사장", "010-6400-0001");
        await WebLogin.LogInAsync(app, app.Client(), "operator", "010-9999-0000");
    }

    [Fact]
    public async Task The_data_directory_is_0700_and_secrets_are_0600()
    {
        await using var app = await TestApp.StartAsync();
        await UseSecretsAndKeysAsync(app);

        foreach (var directory in new[] { "", "secrets", "keys" })
            Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(Path.Combine(app.DataDirectory, directory)));
        var secrets = Directory.GetFiles(Path.Combine(app.DataDirectory, "secrets"));
        Assert.NotEmpty(secrets);
        Assert.All(secrets, file => Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(file)));
        Assert.Empty(Directory.GetFiles(Path.Combine(app.DataDirectory, "secrets"), "*.tmp"));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(app.DataDirectory, "keys"), "*.xml"));
    }

    [Fact]
    public async Task A_data_directory_others_could_enter_is_narrowed_at_start()
    {
        var directory = Path.Combine(Path.GetTempPath(), "oicall-tests", "wide-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory, OwnerOnlyDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await using var app = await TestApp.StartAsync(settings: new() { ["Data:Directory"] = directory });
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(directory));
    }

    [Fact]
    public async Task With_a_certificate_configured_the_data_protection_keys_are_encrypted_at_rest()
    {
        var pfx = Path.Combine(Path.GetTempPath(), "oicall-tests", $"dp-{Guid.NewGuid():N}.pfx");
        Directory.CreateDirectory(Path.GetDirectoryName(pfx)!);
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=OiCall Data Protection", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pfx, "pw"));
        }
        try
        {
            await using var app = await TestApp.StartAsync(settings: new()
            {
                ["DataProtection:CertificatePath"] = pfx,
                ["DataProtection:CertificatePassword"] = "pw",
            });
            await UseSecretsAndKeysAsync(app);

            var key = File.ReadAllText(Directory.GetFiles(Path.Combine(app.DataDirectory, "keys"), "*.xml").Single());
            Assert.Contains("EncryptedData", key);
            Assert.DoesNotContain("<masterKey", key.Replace("encryptedSecret", ""), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(pfx);
        }
    }
}
