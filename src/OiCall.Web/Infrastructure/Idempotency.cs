using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OiCall.Web.Data;
using OiCall.Web.Features.Accounts;

namespace OiCall.Web.Infrastructure;

/// <summary>
/// A POST made with an Idempotency-Key: while it runs, the key is claimed; once it succeeded, its
/// answer is kept (encrypted, for a day) so a retry gets the same answer and changes nothing.
/// </summary>
public sealed class IdempotentRequest
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    /// <summary>"{account}:{header value}": two callers can never share a key.</summary>
    public required string Key { get; init; }
    /// <summary>SHA-256 of method, path, query and body: the same key with another request is refused.</summary>
    public required string RequestHash { get; init; }
    public DateTime StartedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public int StatusCode { get; set; }
    public string? ContentType { get; set; }
    public string? Location { get; set; }
    /// <summary>The answer's body, encrypted with Data Protection (it may hold coupon codes).</summary>
    public byte[]? ProtectedBody { get; set; }
}

internal sealed class IdempotentRequestConfiguration : IEntityTypeConfiguration<IdempotentRequest>
{
    public void Configure(EntityTypeBuilder<IdempotentRequest> b)
    {
        b.HasIndex(r => r.Key).IsUnique();
        b.HasIndex(r => r.StartedAt);
        b.Property(r => r.Key).HasMaxLength(250);
        b.Property(r => r.RequestHash).HasMaxLength(64);
        b.Property(r => r.ContentType).HasMaxLength(100);
        b.Property(r => r.Location).HasMaxLength(300);
    }
}

public static class IdempotencyErrors
{
    public static readonly ErrorInfo KeyTooLong = new("idempotency_key_invalid", 400,
        "Idempotency-Key는 1~200자여야 합니다.", "Idempotency-Key must be 1 to 200 characters.");
    public static readonly ErrorInfo KeyReused = new("idempotency_key_reused", 422,
        "같은 Idempotency-Key가 다른 요청에 이미 쓰였습니다.", "This Idempotency-Key was already used for a different request.");
    public static readonly ErrorInfo InProgress = new("idempotency_in_progress", 409,
        "같은 요청을 처리하는 중입니다. 잠시 후 다시 시도하세요.", "The same request is still being processed. Try again in a moment.");
}

/// <summary>
/// Honours Idempotency-Key on every authenticated POST of the API. Sign-in endpoints are left out:
/// their answers carry session tokens, which are never stored, and each of them is single-use anyway.
/// Only successful answers are kept; a failure changed nothing, so its retry simply runs again.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next)
{
    public const string Header = "Idempotency-Key";
    public static readonly TimeSpan KeepFor = TimeSpan.FromHours(24);
    /// <summary>A claim older than this belongs to a request that died; a retry may take it over.</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(30);
    /// <summary>How long a twin request waits for the first run's answer before it says "in progress".</summary>
    private static readonly TimeSpan WaitForTwin = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan TwinPoll = TimeSpan.FromMilliseconds(25);

    public async Task InvokeAsync(HttpContext http, AppDbContext db, TimeProvider clock, IDataProtectionProvider protection)
    {
        if (!HttpMethods.IsPost(http.Request.Method) || !http.Request.Path.StartsWithSegments("/api/v1") || http.Request.Path.StartsWithSegments("/api/v1/auth")
            || http.User.Identity?.IsAuthenticated != true || !http.Request.Headers.TryGetValue(Header, out var values))
        {
            await next(http);
            return;
        }
        var header = values.ToString().Trim();
        if (header.Length is 0 or > 200) throw new AppProblem(IdempotencyErrors.KeyTooLong, Header);

        var key = $"{http.User.AccountId():N}:{header}";
        var hash = await RequestHashAsync(http.Request);
        var now = clock.GetUtcNow().UtcDateTime;
        var protector = protection.CreateProtector("OiCall.Idempotency");

        var claim = await ClaimAsync(http, db, key, hash, now, protector);
        if (claim is null) return; // answered from the first run

        var original = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            await next(http);
        }
        catch
        {
            http.Response.Body = original;
            await ReleaseAsync(db, claim.Id);
            throw;
        }
        http.Response.Body = original;

        if (http.Response.StatusCode is >= 200 and < 300)
        {
            var body = protector.Protect(buffer.ToArray());
            var (status, type, location) = (http.Response.StatusCode, http.Response.ContentType, http.Response.Headers.Location.ToString());
            await db.IdempotentRequests.Where(r => r.Id == claim.Id).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.CompletedAt, clock.GetUtcNow().UtcDateTime)
                .SetProperty(r => r.StatusCode, status)
                .SetProperty(r => r.ContentType, type)
                .SetProperty(r => r.Location, location.Length == 0 ? null : location)
                .SetProperty(r => r.ProtectedBody, body), CancellationToken.None);
        }
        else
        {
            await ReleaseAsync(db, claim.Id);
        }
        buffer.Position = 0;
        await buffer.CopyToAsync(original, http.RequestAborted);
    }

    /// <summary>
    /// Claims the key for this request, or answers it: with the first run's answer once that run
    /// has finished (a twin sent at the same moment waits for it), 422 for another request under the
    /// same key. Returns null when the request was answered.
    /// </summary>
    private static async Task<IdempotentRequest?> ClaimAsync(HttpContext http, AppDbContext db, string key, string hash, DateTime now, IDataProtector protector)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var claim = new IdempotentRequest { Key = key, RequestHash = hash, StartedAt = now };
            db.IdempotentRequests.Add(claim);
            try
            {
                await db.SaveChangesAsync(http.RequestAborted);
                db.Entry(claim).State = EntityState.Detached;
                return claim;
            }
            catch (DbUpdateException)
            {
                db.ChangeTracker.Clear();
            }
            var earlier = await db.IdempotentRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Key == key, http.RequestAborted);
            if (earlier is null) continue; // the first run failed and let go: run again
            if (earlier.RequestHash != hash) throw new AppProblem(IdempotencyErrors.KeyReused, Header);
            if (earlier.CompletedAt is not null)
            {
                await ReplayAsync(http, earlier, protector);
                return null;
            }
            // A claim that is old belongs to a request that died: take it over.
            if (earlier.StartedAt < now - StaleAfter && await db.IdempotentRequests
                .Where(r => r.Id == earlier.Id && r.StartedAt == earlier.StartedAt && r.CompletedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.StartedAt, now), http.RequestAborted) == 1)
                return earlier;
            if (waited.Elapsed > WaitForTwin) throw new AppProblem(IdempotencyErrors.InProgress, null, TimeSpan.FromSeconds(1));
            await Task.Delay(TwinPoll, http.RequestAborted);
        }
    }

    private static Task ReleaseAsync(AppDbContext db, Guid id) =>
        db.IdempotentRequests.Where(r => r.Id == id).ExecuteDeleteAsync(CancellationToken.None);

    private static async Task ReplayAsync(HttpContext http, IdempotentRequest earlier, IDataProtector protector)
    {
        http.Response.StatusCode = earlier.StatusCode;
        if (earlier.ContentType is not null) http.Response.ContentType = earlier.ContentType;
        if (earlier.Location is not null) http.Response.Headers.Location = earlier.Location;
        http.Response.Headers["Idempotent-Replayed"] = "true";
        if (earlier.ProtectedBody is { Length: > 0 } body) await http.Response.Body.WriteAsync(protector.Unprotect(body), http.RequestAborted);
    }

    private static async Task<string> RequestHashAsync(HttpRequest request)
    {
        request.EnableBuffering();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{request.Method} {request.Path}{request.QueryString}\n"));
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0) hash.AppendData(chunk, 0, read);
        request.Body.Position = 0;
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>Answers are kept for a day; after that the key may be used again.</summary>
    public static Task<int> PurgeAsync(AppDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime - KeepFor;
        return db.IdempotentRequests.Where(r => r.StartedAt < cutoff).ExecuteDeleteAsync(ct);
    }
}
