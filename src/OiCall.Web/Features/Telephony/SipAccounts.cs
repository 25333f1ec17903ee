using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OiCall.Web.Data;
using OiCall.Web.Features.Audit;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.Members;

namespace OiCall.Web.Features.Telephony;

/// <summary>What a SIP app needs to register; the password only in the answer that issued it.</summary>
public sealed record SipSettings(string Username, string Domain, int Port, string Transport, string? Password, DateTime? IssuedAt)
{
    /// <summary>A standard SIP URI with the password, for a QR code that apps such as Linphone read.</summary>
    public string? ProvisioningUri => Password is null ? null : $"sip:{Username}:{Uri.EscapeDataString(Password)}@{Domain}:{Port};transport={Transport.ToLowerInvariant()}";
}

/// <summary>Members' SIP accounts: issued (or reset) by an admin, shown once, kept only as HA1.</summary>
public sealed class SipAccounts(AppDbContext db, AuditLog audit, TimeProvider clock, IOptions<SipOptions> sip)
{
    private const string PasswordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    public async Task<SipSettings> IssueAsync(Membership admin, Member member, CancellationToken ct = default)
    {
        var password = RandomNumberGenerator.GetString(PasswordAlphabet, 20);
        var realm = sip.Value.Domain;
        var credential = await db.SipCredentials.SingleOrDefaultAsync(c => c.MemberId == member.Id, ct);
        if (credential is null)
        {
            credential = new SipCredential { MemberId = member.Id, BusinessId = member.BusinessId, Username = await NewUsernameAsync(ct), Ha1 = "", Realm = realm };
            db.SipCredentials.Add(credential);
        }
        credential.Ha1 = Ha1(credential.Username, realm, password);
        credential.Realm = realm;
        credential.IssuedAt = clock.GetUtcNow().UtcDateTime;
        audit.Add("sip.password_issued", admin.AccountId, member.Id.ToString(), credential.Username, admin.BusinessId);
        await db.SaveChangesAsync(ct);
        return Settings(credential, password);
    }

    public async Task<SipSettings?> SettingsAsync(Guid memberId, CancellationToken ct = default) =>
        await db.SipCredentials.AsNoTracking().SingleOrDefaultAsync(c => c.MemberId == memberId, ct) is { } credential ? Settings(credential, null) : null;

    /// <summary>For the edge's digest check: HA1 for the username under the configured realm, or null.</summary>
    public async Task<string?> Ha1Async(string username, CancellationToken ct = default) =>
        await db.SipCredentials.AsNoTracking()
            .Where(c => c.Username == username && c.Realm == sip.Value.Domain && db.Members.Any(m => m.Id == c.MemberId))
            .Select(c => c.Ha1).SingleOrDefaultAsync(ct);

    public static string Ha1(string username, string realm, string password) =>
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes($"{username}:{realm}:{password}")));

    private SipSettings Settings(SipCredential c, string? password) =>
        new(c.Username, sip.Value.Domain, sip.Value.Port, sip.Value.Transport, password, c.IssuedAt);

    private async Task<string> NewUsernameAsync(CancellationToken ct)
    {
        while (true)
        {
            var username = "oc" + RandomNumberGenerator.GetInt32(10_000_000, 100_000_000);
            if (!await db.SipCredentials.AnyAsync(c => c.Username == username, ct)) return username;
        }
    }
}
