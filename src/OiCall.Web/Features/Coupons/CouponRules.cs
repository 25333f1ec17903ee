using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Audit;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Coupons;

/// <summary>A charge, or (<paramref name="Replayed"/>) the first answer again: this business used the coupon before and nothing was added now.</summary>
public sealed record ChargeResult(Guid CouponId, long Seconds, long CallableSecondsAfter, DateTime ChargedAt, bool Replayed = false)
{
    /// <summary>The API's stable word for what happened: "charged", or "already_charged_here" for a replay.</summary>
    public string Outcome => Replayed ? "already_charged_here" : "charged";

    public string Message => Replayed
        ? Text.Pick($"이 업체에서 이미 사용한 쿠폰입니다 ({SeoulTime.Format(ChargedAt)}에 {Seconds / 60}분 충전). 이번에는 통화시간이 추가되지 않았습니다.",
            $"This business already used this coupon ({Seconds / 60} min charged on {SeoulTime.Format(ChargedAt)}). No time was added now.")
        : Text.Pick($"통화시간 충전완료: {Seconds / 60}분이 더해졌습니다.", $"Call time charged: {Seconds / 60} min added.");
}
/// <summary>A batch and its codes; <paramref name="Replayed"/> when the same form was sent again and this is the first answer.</summary>
public sealed record IssuedBatch(CouponBatch Batch, IReadOnlyList<string> Codes, bool Replayed = false);

/// <summary>Coupons (쿠폰): operators issue them in batches; business admins redeem them (충전, STEP 4).</summary>
public sealed class CouponRules(AppDbContext db, LedgerService ledger, TimeProvider clock, ServerSecrets secrets, AuditLog audit,
    Microsoft.AspNetCore.DataProtection.IDataProtectionProvider protection)
{
    public const int MaxFailuresPerHour = 10;

    /// <summary>
    /// The operator page's issue: once per form. The form's request id claims a key in the same table
    /// and transaction as the batch, keeping the codes encrypted beside it for the idempotency period,
    /// so a reload or a second click shows the same batch again instead of issuing another.
    /// </summary>
    public async Task<IssuedBatch> IssueBatchOnceAsync(Guid operatorId, Guid requestId, int count, long minutesEach, DateTime expiresAt, string? memo, CancellationToken ct = default)
    {
        var key = $"{operatorId:N}:coupon-form:{requestId:N}";
        var protector = protection.CreateProtector("OiCall.CouponForm");
        if (await EarlierAsync(key, protector, ct) is { } earlier) return earlier;
        try
        {
            return await IssueBatchAsync(operatorId, count, minutesEach, expiresAt, memo, ct, (batch, codes) => new IdempotentRequest
            {
                Key = key,
                RequestHash = "coupon-form",
                StartedAt = batch.CreatedAt,
                CompletedAt = batch.CreatedAt,
                StatusCode = 200,
                ProtectedBody = protector.Protect(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new KeptBatch(batch.Id, codes))),
            });
        }
        catch (DbUpdateException)
        {
            // A twin of this form won the key: its batch is the answer.
            db.ChangeTracker.Clear();
            return await EarlierAsync(key, protector, ct) ?? throw new AppProblem(IdempotencyErrors.InProgress);
        }
    }

    private sealed record KeptBatch(Guid BatchId, IReadOnlyList<string> Codes);

    private async Task<IssuedBatch?> EarlierAsync(string key, Microsoft.AspNetCore.DataProtection.IDataProtector protector, CancellationToken ct)
    {
        var kept = await db.IdempotentRequests.AsNoTracking().Where(r => r.Key == key).Select(r => r.ProtectedBody).SingleOrDefaultAsync(ct);
        if (kept is null) return null;
        var body = System.Text.Json.JsonSerializer.Deserialize<KeptBatch>(protector.Unprotect(kept))!;
        var batch = await db.CouponBatches.AsNoTracking().SingleAsync(b => b.Id == body.BatchId, ct);
        return new IssuedBatch(batch, body.Codes, Replayed: true);
    }

    /// <summary>Creates the batch; the codes are returned this once and never stored in the clear.</summary>
    public async Task<IssuedBatch> IssueBatchAsync(Guid operatorId, int count, long minutesEach, DateTime expiresAt, string? memo, CancellationToken ct = default,
        Func<CouponBatch, IReadOnlyList<string>, IdempotentRequest>? claim = null)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (count is < 1 or > 10_000 || minutesEach is < 1 or > 100_000 || expiresAt <= now || (memo?.Length ?? 0) > 200)
            throw new AppProblem(CouponErrors.InvalidBatch);
        var batch = new CouponBatch { CreatedAt = now, CreatedBy = operatorId, Count = count, SecondsEach = minutesEach * 60, ExpiresAt = expiresAt, Memo = memo?.Trim() };
        db.CouponBatches.Add(batch);
        var codes = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var code = CouponCode.NewCode();
            CouponCode.Read(code, out var canonical);
            codes.Add(code);
            db.Coupons.Add(new Coupon { BatchId = batch.Id, CodeHash = Hash(canonical), Hint = code[^6..^2], Seconds = batch.SecondsEach, ExpiresAt = expiresAt });
        }
        audit.Add("coupon.batch_issued", operatorId, batch.Id.ToString(), $"{count} × {minutesEach} min, expires {expiresAt:yyyy-MM-dd}, {memo}");
        if (claim is not null) db.IdempotentRequests.Add(claim(batch, codes));
        await db.SaveChangesAsync(ct);
        return new IssuedBatch(batch, codes);
    }

    /// <summary>
    /// 충전: exactly once under concurrency and retries. The same business redeeming its own
    /// coupon again gets the first answer back; anyone else gets "used".
    /// </summary>
    public async Task<ChargeResult> RedeemAsync(Membership admin, string? typed, string ip, CancellationToken ct = default)
    {
        ip = ClientAddress.LimitKey(ip);
        await EnforceFailureLimitAsync(admin.AccountId, ip, ct);
        var reading = CouponCode.Read(typed, out var canonical);
        if (reading != CodeReading.Valid)
            await FailAsync(admin, ip, reading == CodeReading.Mistyped ? CouponErrors.Mistyped : CouponErrors.Malformed, ct);

        var hash = Hash(canonical);
        var coupon = await db.Coupons.AsNoTracking().SingleOrDefaultAsync(c => c.CodeHash == hash, ct);
        if (coupon is null) await FailAsync(admin, ip, CouponErrors.Unknown, ct);
        if (await ReplayAsync(coupon!, admin, ct) is { } replay) return replay;
        await RefuseIfUnusableAsync(coupon!, admin, ip, ct);

        await ledger.EnsureChargeAccountsAsync(admin.BusinessId, ct);
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            var now = clock.GetUtcNow().UtcDateTime;
            // The conditional update is the exactly-once: of many racing requests, one moves the coupon out of Issued.
            var taken = await db.Coupons.Where(c => c.Id == coupon!.Id && c.State == CouponState.Issued && c.ExpiresAt > now)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.State, CouponState.Redeemed)
                    .SetProperty(c => c.RedeemedAt, now)
                    .SetProperty(c => c.RedeemedBusinessId, admin.BusinessId)
                    .SetProperty(c => c.RedeemedBy, admin.AccountId), ct);
            if (taken == 1)
            {
                var entry = await ledger.ChargeInTransactionAsync(admin.BusinessId, coupon!.Id, coupon.Seconds, admin.AccountId, ct);
                audit.Add("coupon.redeemed", admin.AccountId, coupon.Hint, $"{coupon.Seconds / 60} min", admin.BusinessId);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return new ChargeResult(coupon.Id, coupon.Seconds, entry.ToBalanceAfter, entry.At);
            }
        }
        // Lost the race: the winner was this business (a retry) or someone else.
        var after = await db.Coupons.AsNoTracking().SingleAsync(c => c.Id == coupon!.Id, ct);
        if (await ReplayAsync(after, admin, ct) is { } retried) return retried;
        await RefuseIfUnusableAsync(after, admin, ip, ct);
        // Still Issued and unexpired, yet not taken: cannot happen; say "used" rather than invent a charge.
        throw new AppProblem(CouponErrors.Used, "code");
    }

    private async Task<ChargeResult?> ReplayAsync(Coupon coupon, Membership admin, CancellationToken ct)
    {
        if (coupon.State != CouponState.Redeemed || coupon.RedeemedBusinessId != admin.BusinessId) return null;
        var key = LedgerService.CouponChargeKey(coupon.Id);
        var entry = await db.LedgerEntries.AsNoTracking().SingleAsync(e => e.IdempotencyKey == key, ct);
        return new ChargeResult(coupon.Id, coupon.Seconds, entry.ToBalanceAfter, entry.At, Replayed: true);
    }

    private async Task RefuseIfUnusableAsync(Coupon coupon, Membership admin, string ip, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var error = coupon.State switch
        {
            CouponState.Redeemed => CouponErrors.Used,
            CouponState.Void => CouponErrors.Void,
            _ when coupon.ExpiresAt <= now => CouponErrors.Expired,
            _ => null,
        };
        if (error is not null) await FailAsync(admin, ip, error, ct);
    }

    private async Task EnforceFailureLimitAsync(Guid accountId, string ip, CancellationToken ct)
    {
        var since = clock.GetUtcNow().UtcDateTime.AddHours(-1);
        var recent = await db.CouponFailures.Where(f => f.At > since && (f.AccountId == accountId || f.Ip == ip))
            .OrderByDescending(f => f.At).Select(f => f.At).Take(MaxFailuresPerHour).ToListAsync(ct);
        if (recent.Count < MaxFailuresPerHour) return;
        var retryAfter = recent[^1].AddHours(1) - clock.GetUtcNow().UtcDateTime;
        throw new AppProblem(CouponErrors.TooManyFailures, retryAfter: retryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : retryAfter);
    }

    /// <summary>Records the failed try (committed on its own) and throws its clear message.</summary>
    private async Task FailAsync(Membership admin, string ip, ErrorInfo error, CancellationToken ct)
    {
        db.CouponFailures.Add(new CouponFailure { At = clock.GetUtcNow().UtcDateTime, AccountId = admin.AccountId, Ip = ip, Reason = error.Code });
        audit.Add("coupon.redeem_failed", admin.AccountId, null, error.Code, admin.BusinessId);
        await db.SaveChangesAsync(ct);
        throw new AppProblem(error, "code");
    }

    private string Hash(string canonical) =>
        Convert.ToHexString(HMACSHA256.HashData(secrets.Get("coupon"), Encoding.UTF8.GetBytes(canonical)));
}
