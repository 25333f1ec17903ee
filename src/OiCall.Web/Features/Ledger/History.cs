using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Ledger;

public enum HistoryTab
{
    /// <summary>쿠폰 충전 내역.</summary>
    Charges,
    /// <summary>시간분배 내역 (distributions and reclaims).</summary>
    Distributions,
}

/// <summary>One line of 상세 내역: who, when, how much (negative for a reclaim), and balances after.</summary>
public sealed record HistoryLine(long Id, DateTime At, TransferKind Kind, long Seconds, string? ActorName, Guid? MemberId, string? MemberName,
    long CallableSecondsAfter, long? MemberSecondsAfter);

public sealed record HistoryPage(IReadOnlyList<HistoryLine> Lines, long? NextBefore);

public sealed record HistoryFilter(HistoryTab Tab, Guid? MemberId = null, DateOnly? From = null, DateOnly? To = null, long? Before = null, int Limit = 50);

/// <summary>상세 내역 (STEP 8): newest first, keyset paged on the entry id so page 1,000 costs what page 1 does.</summary>
public sealed class History(AppDbContext db)
{
    /// <summary>The distribution tab's rows, as the partial indexes and the page's query both say it.</summary>
    public static readonly string DistributionFilterSql = $"\"Kind\" IN ({(int)TransferKind.Distribution}, {(int)TransferKind.Reclaim})";

    private static readonly TimeZoneInfo Seoul = TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul");

    public async Task<HistoryPage> PageAsync(Guid businessId, HistoryFilter filter, CancellationToken ct = default)
    {
        var limit = Math.Clamp(filter.Limit, 1, 200);
        var query = db.LedgerEntries.AsNoTracking().Where(e => e.BusinessId == businessId);
        // Written as constants so the SQL matches the partial indexes' filter word for word.
        query = filter.Tab == HistoryTab.Charges
            ? query.Where(e => e.Kind == TransferKind.CouponCharge)
            : query.Where(e => e.Kind == TransferKind.Distribution || e.Kind == TransferKind.Reclaim);
        if (filter.MemberId is { } memberId) query = query.Where(e => e.MemberId == memberId);
        // Periods are Korean calendar days.
        if (filter.From is { } from)
        {
            var start = SeoulDayStart(from);
            query = query.Where(e => e.At >= start);
            // The same at the period's start (see below): without it SQLite walks the whole period by
            // time and sorts it (tens of milliseconds for a month) instead of reading the newest page.
            var low = await db.LedgerEntries.Where(e => e.BusinessId == businessId && e.At >= start)
                .OrderBy(e => e.At).Take(100).MinAsync(e => (long?)e.Id, ct);
            query = query.Where(e => e.Id >= (low ?? long.MaxValue));
        }
        if (filter.To is { } to)
        {
            var end = SeoulDayStart(to.AddDays(1));
            query = query.Where(e => e.At < end);
            // Ids grow with time, so a period that ended long ago starts its walk near its own end
            // instead of scanning everything newer. The newest 100 entries before the end (by time)
            // bound it, which still covers entries committed slightly out of order.
            var bound = await db.LedgerEntries.Where(e => e.BusinessId == businessId && e.At < end)
                .OrderByDescending(e => e.At).Take(100).MaxAsync(e => (long?)e.Id, ct);
            query = query.Where(e => e.Id <= (bound ?? 0));
        }
        if (filter.Before is { } before) query = query.Where(e => e.Id < before);

        var rows = await query.OrderByDescending(e => e.Id).Take(limit + 1)
            .Select(e => new
            {
                e.Id, e.At, e.Kind, e.Seconds, e.MemberId, e.FromBalanceAfter, e.ToBalanceAfter,
                Actor = db.Accounts.Where(a => a.Id == e.ActorAccountId).Select(a => a.Name).FirstOrDefault(),
                Member = db.Members.IgnoreQueryFilters().Where(m => m.Id == e.MemberId).Select(m => m.Name).FirstOrDefault(),
            })
            .ToListAsync(ct);
        var lines = rows.Take(limit).Select(r => r.Kind switch
        {
            TransferKind.CouponCharge => new HistoryLine(r.Id, r.At, r.Kind, r.Seconds, r.Actor, null, null, r.ToBalanceAfter, null),
            TransferKind.Distribution => new HistoryLine(r.Id, r.At, r.Kind, r.Seconds, r.Actor, r.MemberId, r.Member, r.FromBalanceAfter, r.ToBalanceAfter),
            _ => new HistoryLine(r.Id, r.At, r.Kind, -r.Seconds, r.Actor, r.MemberId, r.Member, r.ToBalanceAfter, r.FromBalanceAfter),
        }).ToList();
        return new HistoryPage(lines, rows.Count > limit ? lines[^1].Id : null);
    }

    /// <summary>Every line that matches the filter, as CSV (UTF-8 with BOM so Excel reads Korean).</summary>
    public async Task<byte[]> CsvAsync(Guid businessId, HistoryFilter filter, CancellationToken ct = default)
    {
        var csv = new StringBuilder("\uFEFF일시,구분,멤버,분(초),처리자,통화가능 시간 잔액(초),멤버 잔액(초)\r\n");
        long? before = null;
        do
        {
            var page = await PageAsync(businessId, filter with { Before = before, Limit = 200 }, ct);
            foreach (var l in page.Lines)
                csv.Append(CultureInfo.InvariantCulture,
                    $"{SeoulTime.Format(l.At)},{KindLabel(l.Kind)},{Cell(l.MemberName)},{l.Seconds},{Cell(l.ActorName)},{l.CallableSecondsAfter},{l.MemberSecondsAfter}\r\n");
            before = page.NextBefore;
        } while (before is not null);
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    public static string KindLabel(TransferKind kind) => kind switch
    {
        TransferKind.CouponCharge => Text.Pick("쿠폰 충전", "Coupon charge"),
        TransferKind.Distribution => Text.Pick("분배", "Distributed"),
        TransferKind.Reclaim => Text.Pick("회수", "Reclaimed"),
        _ => kind.ToString(),
    };

    private static DateTime SeoulDayStart(DateOnly day) => TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(TimeOnly.MinValue), Seoul);

    // Quote every cell that could break the row, and defuse spreadsheet formulas.
    private static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var safe = value[0] is '=' or '+' or '-' or '@' ? "'" + value : value;
        return "\"" + safe.Replace("\"", "\"\"") + "\"";
    }
}
