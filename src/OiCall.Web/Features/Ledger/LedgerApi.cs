using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Ledger;

public sealed record AllocationRequest([property: System.ComponentModel.Description("Positive distributes to the member, negative reclaims.")] long Seconds);
public sealed record BulkAllocationRequest(List<Guid>? MemberIds, long Seconds);
public sealed record AllocationResponse(long Seconds, long CallableSeconds, long MemberSeconds, string Message);
public sealed record BalanceResponse(BillingPlan Plan, long CallableSeconds, long PrepaidSeconds, long CreditLimitSeconds, long CreditUsedSeconds,
    long DistributedSeconds, long HeldSeconds, long LowBalanceWarningSeconds, bool Low);
public sealed record LowBalanceWarningsRequest(long? CallableMinutes, long? MemberMinutes);
public sealed record LowBalanceWarningsResponse(long CallableSeconds, long MemberSeconds);
public sealed record MemberBalanceResponse(Guid MemberId, long Seconds, long HeldSeconds);

public static class LedgerApi
{
    public static void MapLedgerApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapBusinessGroup().WithTags("Call time");

        api.MapGet("/balance", async (Guid businessId, Tenant tenant, LedgerService ledger, CancellationToken ct) =>
        {
            var callable = await ledger.CallableAsync(businessId, ct);
            var wallets = await ledger.WalletsOfBusinessAsync(businessId, ct);
            var held = await ledger.HeldOfBusinessAsync(businessId, ct);
            var warnAt = tenant.Membership.Business.LowBalanceWarningSeconds;
            return TypedResults.Ok(new BalanceResponse(callable.Plan, callable.TotalSeconds, callable.PrepaidSeconds, callable.CreditLimitSeconds, callable.CreditUsedSeconds,
                wallets.Values.Sum(), held, warnAt, callable.TotalSeconds < warnAt));
        }).WithSummary("통화가능 시간: what admins may still distribute (prepaid pool, plus the postpaid credit left), and what members hold.");

        api.MapPut("/low-balance-warnings", async (LowBalanceWarningsRequest body, Tenant tenant, LedgerSettings settings, CancellationToken ct) =>
        {
            var business = await settings.SetWarningsAsync(tenant.Membership, body.CallableMinutes, body.MemberMinutes, ct);
            return TypedResults.Ok(new LowBalanceWarningsResponse(business.LowBalanceWarningSeconds, business.MemberLowBalanceWarningSeconds));
        }).WithSummary("Below these minutes the app warns: callable time on the home screen, and each member's remaining time.");

        api.MapGet("/members/{memberId:guid}/balance", async (Guid memberId, Tenant tenant, Members.MemberRules members, LedgerService ledger, CancellationToken ct) =>
        {
            var member = await members.GetAsync(tenant.Membership, memberId, ct);
            var wallet = await ledger.WalletAsync(member.Id, ct);
            return TypedResults.Ok(new MemberBalanceResponse(member.Id, wallet.FreeSeconds, wallet.HeldSeconds));
        }).AllowAnyMember().WithSummary("A member's remaining seconds (admins: any member; a member: themselves).");

        api.MapPost("/members/{memberId:guid}/allocations", async (Guid businessId, Guid memberId, AllocationRequest body,
            [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, Tenant tenant, Members.MemberRules members, LedgerService ledger, CancellationToken ct) =>
        {
            var admin = tenant.Membership;
            var member = await members.GetAsync(admin, memberId, ct);
            var key = IdempotencyKey.Scope(idempotencyKey, admin.AccountId);
            await ledger.AllocateAsync(businessId, member.Id, body.Seconds, admin.AccountId, key, ct);
            var wallet = await ledger.WalletAsync(member.Id, ct);
            return TypedResults.Ok(new AllocationResponse(body.Seconds, (await ledger.CallableAsync(businessId, ct)).TotalSeconds, wallet.FreeSeconds, AllocationMessage(body.Seconds)));
        }).WithSummary("시간분배 (+seconds) or reclaim (−seconds). Idempotency-Key makes a retry change nothing.");

        api.MapPost("/allocations", async (Guid businessId, BulkAllocationRequest body,
            [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, Tenant tenant, Members.MemberRules members, LedgerService ledger, CancellationToken ct) =>
        {
            var admin = tenant.Membership;
            var ids = body.MemberIds ?? [];
            foreach (var id in ids) await members.GetAsync(admin, id, ct);
            await ledger.DistributeToManyAsync(businessId, ids, body.Seconds, admin.AccountId, IdempotencyKey.Scope(idempotencyKey, admin.AccountId), ct);
            return TypedResults.Ok(new AllocationResponse(body.Seconds, (await ledger.CallableAsync(businessId, ct)).TotalSeconds, 0, AllocationMessage(body.Seconds)));
        }).WithSummary("The same seconds to several members at once, in one transaction (all or none).");

        api.MapGet("/history", async (Guid businessId, HistoryTab? tab, Guid? memberId, DateOnly? from, DateOnly? to, long? before, int? limit,
            History history, CancellationToken ct) =>
            TypedResults.Ok(await history.PageAsync(businessId, new HistoryFilter(tab ?? HistoryTab.Charges, memberId, from, to, before, limit ?? 50), ct))).WithSummary("상세 내역: tab=Charges|Distributions, filter by member and Korean dates, keyset paging with before=nextBefore.");
    }

    /// <summary>The web page's CSV download: the current business, the page's filters, every matching line.</summary>
    public static void MapHistoryDownload(this IEndpointRouteBuilder app) =>
        // The page's form sends member= (empty) for 전체 멤버: read as text, as the page does, not as a Guid that answers 400.
        app.MapGet("/history.csv", async Task<Results<FileContentHttpResult, NotFound>> (string? tab, string? member, string? from, string? to, BusinessAccess access, History history, HttpContext http, CancellationToken ct) =>
        {
            var current = await access.CurrentAsync(http.User, ct);
            if (current is null || !current.Me.IsAdmin) return TypedResults.NotFound();
            var filter = DetailedHistory.Filter(Enum.TryParse<HistoryTab>(tab, true, out var t) ? t : HistoryTab.Charges,
                Guid.TryParse(member, out var m) ? m : null, from, to, null);
            return TypedResults.File(await history.CsvAsync(current.BusinessId, filter, ct), "text/csv; charset=utf-8", $"history-{filter.Tab.ToString().ToLowerInvariant()}.csv");
        }).RequireAuthorization().ExcludeFromDescription();

    public static string AllocationMessage(long seconds) => seconds > 0
        ? Text.Pick($"{seconds / 60}분 분배되었습니다.", $"{seconds / 60} min distributed.")
        : Text.Pick($"{-seconds / 60}분 회수되었습니다.", $"{-seconds / 60} min reclaimed.");
}

/// <summary>The Idempotency-Key header, scoped to the caller so two people can never collide.</summary>
public static class IdempotencyKey
{
    public static string? Scope(string? header, Guid accountId) =>
        string.IsNullOrWhiteSpace(header) ? null : $"req:{accountId:N}:{(header.Length > 100 ? header[..100] : header)}";
}

/// <summary>A business's own ledger settings, changed by its admins.</summary>
public sealed class LedgerSettings(Data.AppDbContext db, Audit.AuditLog audit)
{
    public const long MaxWarningMinutes = 100_000;

    public async Task<Business> SetWarningsAsync(Membership admin, long? callableMinutes, long? memberMinutes, CancellationToken ct = default)
    {
        if (callableMinutes is < 0 or > MaxWarningMinutes) throw new AppProblem(LedgerErrors.BadWarning, "callableMinutes");
        if (memberMinutes is < 0 or > MaxWarningMinutes) throw new AppProblem(LedgerErrors.BadWarning, "memberMinutes");
        var business = admin.Business;
        if (callableMinutes is { } c) business.LowBalanceWarningSeconds = c * 60;
        if (memberMinutes is { } m) business.MemberLowBalanceWarningSeconds = m * 60;
        audit.Add("business.low_balance_warnings", admin.AccountId, null,
            $"callable={business.LowBalanceWarningSeconds}s member={business.MemberLowBalanceWarningSeconds}s", business.Id);
        await db.SaveChangesAsync(ct);
        return business;
    }
}
