using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Audit;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Accounts;

public static class Claims
{
    public const string SessionId = "oicall:sid";
    public const string OperatorRole = "operator";

    public static Guid AccountId(this ClaimsPrincipal user) =>
        Guid.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("Not logged in."));

    public static Guid? SessionIdOf(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(SessionId), out var id) ? id : null;

    public static ClaimsPrincipal For(Account account, Guid sessionId, string scheme)
    {
        List<Claim> claims =
        [
            new(ClaimTypes.NameIdentifier, account.Id.ToString()),
            new(ClaimTypes.Name, account.Name),
            new("login_id", account.LoginId),
            new(SessionId, sessionId.ToString()),
        ];
        if (account.IsOperator) claims.Add(new Claim(ClaimTypes.Role, OperatorRole));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }
}

/// <summary>Opens and ends logins. Every login is a row, so logout ends it everywhere at once.</summary>
public sealed class SessionService(AppDbContext db, TimeProvider clock, AuditLog audit)
{
    public static readonly TimeSpan CookieLifetime = TimeSpan.FromDays(14);
    public static readonly TimeSpan BearerLifetime = TimeSpan.FromDays(30);

    /// <summary>Logs a browser in: a session row plus the encrypted auth cookie that names it.</summary>
    public async Task SignInWithCookieAsync(Account account, HttpContext context, CancellationToken ct = default)
    {
        var session = await AddAsync(account, SessionKind.Cookie, null, CookieLifetime, context, ct);
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            Claims.For(account, session.Id, CookieAuthenticationDefaults.AuthenticationScheme),
            new AuthenticationProperties { IsPersistent = true });
    }

    public async Task SignOutCookieAsync(HttpContext context, CancellationToken ct = default)
    {
        await RevokeAsync(context.User, ct);
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }

    /// <summary>Returns the bearer token; only its hash is stored.</summary>
    public async Task<(string Token, DateTime ExpiresAt)> OpenBearerSessionAsync(Account account, HttpContext context, CancellationToken ct = default)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var session = await AddAsync(account, SessionKind.Bearer, HashToken(token), BearerLifetime, context, ct);
        return (token, session.ExpiresAt);
    }

    public async Task RevokeAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        if (Claims.SessionIdOf(user) is not { } sessionId) return;
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Sessions.Where(s => s.Id == sessionId && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now), ct);
        audit.Add("logout", user.AccountId());
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Whether a cookie's session still holds. A cookie carries the operator role it was issued
    /// with, so one whose account has lost that role no longer holds at all (bearer tokens read
    /// the account on every request).
    /// </summary>
    public Task<bool> IsActiveAsync(Guid sessionId, bool claimsOperator = false, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return db.Sessions.Where(s => s.Id == sessionId && s.RevokedAt == null && s.ExpiresAt > now)
            .Join(db.Accounts, s => s.AccountId, a => a.Id, (s, a) => a)
            .AnyAsync(a => !claimsOperator || a.IsOperator, ct);
    }

    public async Task<(AccountSession Session, Account Account)?> FindBearerAsync(string token, CancellationToken ct = default)
    {
        var hash = HashToken(token);
        var now = clock.GetUtcNow().UtcDateTime;
        var found = await db.Sessions
            .Where(s => s.TokenHash == hash && s.RevokedAt == null && s.ExpiresAt > now)
            .Join(db.Accounts, s => s.AccountId, a => a.Id, (s, a) => new { s, a })
            .SingleOrDefaultAsync(ct);
        return found is null ? null : (found.s, found.a);
    }

    private async Task<AccountSession> AddAsync(Account account, SessionKind kind, string? tokenHash, TimeSpan lifetime, HttpContext context, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var session = new AccountSession
        {
            AccountId = account.Id,
            Kind = kind,
            TokenHash = tokenHash,
            CreatedAt = now,
            ExpiresAt = now + lifetime,
            Ip = ClientAddress.Of(context),
            UserAgent = context.Request.Headers.UserAgent.ToString() is { Length: > 300 } ua ? ua[..300] : context.Request.Headers.UserAgent.ToString(),
        };
        db.Sessions.Add(session);
        await db.SaveChangesAsync(ct);
        return session;
    }

    private static string HashToken(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
