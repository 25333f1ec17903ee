using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Audit;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Postpaid;

/// <summary>One member's line of a monthly statement: calls ended (or reported late) that month and their billed seconds.</summary>
public sealed record StatementLine(Guid MemberId, string MemberName, string PhoneDisplay, int Calls, long Seconds);

/// <summary>월별 사용 내역: a business's call usage in one Korean calendar month, per member and in total.</summary>
public sealed record Statement(Guid BusinessId, string BusinessName, BillingPlan Plan, string Month, bool Closed,
    IReadOnlyList<StatementLine> Lines, long CreditLimitSeconds, long BilledSeconds)
{
    public int TotalCalls => Lines.Sum(l => l.Calls);
    public long TotalSeconds => Lines.Sum(l => l.Seconds);
}

/// <summary>A Korean calendar month ("2026-11") and its bounds in UTC.</summary>
public readonly record struct StatementMonth(int Year, int Month)
{
    private static readonly TimeZoneInfo Seoul = TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul");

    public DateTime StartUtc => TimeZoneInfo.ConvertTimeToUtc(new DateTime(Year, Month, 1, 0, 0, 0, DateTimeKind.Unspecified), Seoul);
    public DateTime EndUtc => Next.StartUtc;
    public StatementMonth Next => Month == 12 ? new(Year + 1, 1) : new(Year, Month + 1);
    public StatementMonth Previous => Month == 1 ? new(Year - 1, 12) : new(Year, Month - 1);
    public override string ToString() => $"{Year:D4}-{Month:D2}";

    public static StatementMonth Of(DateTimeOffset instant)
    {
        var seoul = TimeZoneInfo.ConvertTime(instant, Seoul);
        return new(seoul.Year, seoul.Month);
    }

    public static StatementMonth Parse(string? text) =>
        DateTime.TryParseExact(text, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) && d.Year is >= 2000 and <= 2100
            ? new(d.Year, d.Month)
            : throw new AppProblem(PostpaidErrors.BadMonth, "month");
}

/// <summary>후불제: the operator's plan changes, monthly statements, and billing closed months.</summary>
public sealed class Statements(AppDbContext db, LedgerService ledger, AuditLog audit, TimeProvider clock)
{
    /// <summary>
    /// The operator switches a business between prepaid and postpaid and sets its monthly credit.
    /// Prepaid keeps the credit line's limit so time already drawn stays within it.
    /// </summary>
    public async Task<Business> SetPlanAsync(Guid operatorId, Guid businessId, BillingPlan plan, long? monthlyCreditMinutes, CancellationToken ct = default)
    {
        if (!Enum.IsDefined(plan)) throw new AppProblem(PostpaidErrors.BadPlan, "plan");
        if (!await db.Businesses.AnyAsync(b => b.Id == businessId, ct)) throw new AppProblem(BusinessErrors.NotFound);
        await ledger.EnsureCreditAccountAsync(businessId, ct);
        var business = await db.Businesses.SingleAsync(b => b.Id == businessId, ct);
        var creditSeconds = plan == BillingPlan.Postpaid
            ? (monthlyCreditMinutes is > 0 and <= PostpaidLimits.MaxMonthlyCreditMinutes ? monthlyCreditMinutes.Value * 60 : throw new AppProblem(PostpaidErrors.BadCredit, "monthlyCreditMinutes"))
            : business.MonthlyCreditSeconds;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await ledger.SetCreditLimitAsync(businessId, creditSeconds, ct);
        business.Plan = plan;
        business.MonthlyCreditSeconds = creditSeconds;
        audit.Add("business.plan_changed", operatorId, plan.ToString(), $"monthlyCreditSeconds={creditSeconds}", businessId);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return business;
    }

    public async Task<Statement> ForBusinessAsync(Guid businessId, StatementMonth month, CancellationToken ct = default)
    {
        var business = await db.Businesses.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(b => b.Id == businessId, ct)
            ?? throw new AppProblem(BusinessErrors.NotFound);
        var (start, end) = (month.StartUtc, month.EndUtc);
        var usage = await db.LedgerEntries.AsNoTracking()
            .Where(CallUsage.IsCallUsage)
            .Where(e => e.BusinessId == businessId && e.At >= start && e.At < end && e.MemberId != null)
            .GroupBy(e => e.MemberId!.Value)
            .Select(g => new { MemberId = g.Key, Calls = g.Count(), Seconds = g.Sum(e => e.Seconds) })
            .ToListAsync(ct);
        var ids = usage.Select(u => u.MemberId).ToList();
        var members = await db.Members.IgnoreQueryFilters().AsNoTracking().Where(m => ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id, ct);
        var lines = usage
            .Select(u => new StatementLine(u.MemberId, members.GetValueOrDefault(u.MemberId)?.Name ?? "?", members.GetValueOrDefault(u.MemberId)?.PhoneDisplay ?? "", u.Calls, u.Seconds))
            .OrderByDescending(l => l.Seconds).ThenBy(l => l.MemberName, StringComparer.Ordinal).ToList();
        var billKey = BillKey(businessId, month);
        var billed = await db.LedgerEntries.AsNoTracking().Where(e => e.IdempotencyKey == billKey).Select(e => (long?)e.Seconds).SingleOrDefaultAsync(ct) ?? 0;
        var closed = month.EndUtc <= clock.GetUtcNow().UtcDateTime;
        return new Statement(business.Id, business.Name, business.Plan, month.ToString(), closed, lines, business.MonthlyCreditSeconds, billed);
    }

    /// <summary>Every business's total for a month, for the operator (postpaid ones first).</summary>
    public async Task<IReadOnlyList<(Business Business, int Calls, long Seconds)>> AllAsync(StatementMonth month, CancellationToken ct = default)
    {
        var (start, end) = (month.StartUtc, month.EndUtc);
        var usage = await db.LedgerEntries.AsNoTracking()
            .Where(CallUsage.IsCallUsage)
            .Where(e => e.At >= start && e.At < end)
            .GroupBy(e => e.BusinessId)
            .Select(g => new { BusinessId = g.Key, Calls = g.Count(), Seconds = g.Sum(e => e.Seconds) })
            .ToDictionaryAsync(u => u.BusinessId, ct);
        var used = usage.Keys.ToList();
        var businesses = await db.Businesses.AsNoTracking().Where(b => b.Plan == BillingPlan.Postpaid || used.Contains(b.Id)).ToListAsync(ct);
        return businesses
            .Select(b => (b, usage.GetValueOrDefault(b.Id)?.Calls ?? 0, usage.GetValueOrDefault(b.Id)?.Seconds ?? 0))
            .OrderByDescending(x => x.b.Plan).ThenByDescending(x => x.Item3).ToList();
    }

    /// <summary>
    /// Bills every postpaid business's closed months that are not billed yet: each month's usage
    /// gives the credit line that much room again. Safe to run any number of times.
    /// </summary>
    public async Task BillClosedMonthsAsync(CancellationToken ct = default)
    {
        var current = StatementMonth.Of(clock.GetUtcNow());
        var postpaid = await db.Businesses.AsNoTracking().Where(b => b.Plan == BillingPlan.Postpaid).Select(b => b.Id).ToListAsync(ct);
        foreach (var businessId in postpaid)
        {
            // Months from the first time the credit line was drawn up to last month.
            var creditKey = LedgerService.CreditKey(businessId);
            var firstDraw = await db.LedgerEntries.AsNoTracking()
                .Where(e => e.BusinessId == businessId && db.LedgerAccounts.Any(a => a.Id == e.FromAccountId && a.Key == creditKey))
                .OrderBy(e => e.Id).Select(e => (DateTime?)e.At).FirstOrDefaultAsync(ct);
            if (firstDraw is null) continue;
            for (var month = StatementMonth.Of(new DateTimeOffset(firstDraw.Value, TimeSpan.Zero)); month.StartUtc < current.StartUtc; month = month.Next)
            {
                var (start, end) = (month.StartUtc, month.EndUtc);
                var used = await db.LedgerEntries.AsNoTracking().Where(CallUsage.IsCallUsage)
                    .Where(e => e.BusinessId == businessId && e.At >= start && e.At < end).SumAsync(e => e.Seconds, ct);
                await ledger.BillMonthAsync(businessId, BillKey(businessId, month), used, ct);
            }
        }
    }

    public static string BillKey(Guid businessId, StatementMonth month) => $"postpaid:{businessId:N}:{month}";

    /// <summary>The statement as CSV (UTF-8 with BOM so Excel reads Korean).</summary>
    public static byte[] Csv(Statement s)
    {
        var csv = new StringBuilder("\uFEFF업체,월,요금제,멤버,전화번호,통화 수,사용 시간(초),사용 시간(분)\r\n");
        foreach (var l in s.Lines)
            csv.Append(CultureInfo.InvariantCulture, $"{CsvCell(s.BusinessName)},{s.Month},{s.Plan.Label()},{CsvCell(l.MemberName)},{l.PhoneDisplay},{l.Calls},{l.Seconds},{Minutes(l.Seconds)}\r\n");
        csv.Append(CultureInfo.InvariantCulture, $"{CsvCell(s.BusinessName)},{s.Month},{s.Plan.Label()},합계,,{s.TotalCalls},{s.TotalSeconds},{Minutes(s.TotalSeconds)}\r\n");
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    /// <summary>Billing rounds each member's total up to the started minute.</summary>
    public static long Minutes(long seconds) => (seconds + 59) / 60;

    private static string CsvCell(string value) => Infrastructure.CsvCell.Escape(value);
}

public static class PostpaidLimits
{
    /// <summary>A month has at most 44,640 minutes; more credit than a year of one line is a typo.</summary>
    public const long MaxMonthlyCreditMinutes = 10_000_000;
}

public static class PostpaidErrors
{
    public static readonly ErrorInfo BadMonth = new("invalid_month", 400, "월은 2026-11 형식으로 입력하세요.", "Give the month as 2026-11.");
    public static readonly ErrorInfo BadPlan = new("invalid_plan", 400, "요금제는 선불(Prepaid) 또는 후불제(Postpaid)입니다.", "The plan is Prepaid or Postpaid.");
    public static readonly ErrorInfo BadCredit = new("invalid_credit_limit", 400,
        "후불제의 월 한도를 1분 이상으로 입력하세요.", "Enter a monthly credit limit of at least one minute for postpaid.");
}
