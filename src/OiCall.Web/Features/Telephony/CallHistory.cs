using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.Postpaid;

namespace OiCall.Web.Features.Telephony;

/// <summary>One call: MemberId/MemberName are null for an incoming call nobody answered; inbound calls bill nothing but have talk time.</summary>
public sealed record CallLine(Guid Id, DateTime At, Guid? MemberId, string? MemberName, CallDirection Direction, string CallerNumber,
    string? DialledMasked, CallOutcome Outcome, long BilledSeconds, string? EndedBy, long TalkSeconds);

/// <summary>통화 내역: admins see every member's calls, a member only their own; a Korean month at a time.</summary>
public sealed class CallHistory(AppDbContext db)
{
    public async Task<IReadOnlyList<CallLine>> ListAsync(Membership me, Guid? memberId, StatementMonth month, CancellationToken ct = default)
    {
        // A plain member's view is always their own, whatever they ask for.
        var who = me.Me.IsAdmin ? memberId : me.Me.Id;
        var (start, end) = (month.StartUtc, month.EndUtc);
        var query = db.CallRecords.AsNoTracking().Where(r => r.BusinessId == me.BusinessId && r.AuthorizedAt >= start && r.AuthorizedAt < end);
        if (who is { } id) query = query.Where(r => r.MemberId == id);
        var rows = await query.OrderByDescending(r => r.AuthorizedAt).Take(1000)
            .Select(r => new { r, Name = db.Members.IgnoreQueryFilters().Where(m => m.Id == r.MemberId).Select(m => m.Name).FirstOrDefault() })
            .ToListAsync(ct);
        return rows.Select(x => new CallLine(x.r.Id, x.r.AuthorizedAt, x.r.MemberId, x.r.MemberId is null ? null : x.Name ?? "?", x.r.Direction, x.r.CallerNumber,
            x.r.DialledMasked, x.r.Outcome, x.r.BilledSeconds, x.r.EndedBy, TalkSeconds(x.r))).ToList();
    }

    private static long TalkSeconds(CallRecord r) => r.Direction == CallDirection.Outbound
        ? r.BilledSeconds
        : r is { AnsweredAt: { } answered, EndedAt: { } ended } ? (long)(ended - answered).TotalSeconds : 0;

    /// <summary>The rule a member sees for a call whose call server failed (CallHold.Expired): at most one slice is lost.</summary>
    public static string SliceRule(long sliceSeconds)
    {
        var slice = sliceSeconds % 60 == 0 ? Infrastructure.Text.Pick($"{sliceSeconds / 60}분", $"{sliceSeconds / 60} min") : Infrastructure.Text.Pick($"{sliceSeconds}초", $"{sliceSeconds} s");
        return Infrastructure.Text.Pick(
            $"통화시간은 {slice}씩 나누어 확보됩니다. 통화 중 통화 서버에 장애가 나면 그 통화는 마지막으로 확보된 구간 끝까지 차감되며, 실제 통화보다 더 차감되는 시간은 최대 한 구간({slice})입니다.",
            $"Call time is reserved {slice} at a time. If the call server fails during a call, the call is charged to the end of its last reserved slice: at most one slice ({slice}) more than you spoke.");
    }

    public static string Label(CallOutcome outcome, CallDirection direction = CallDirection.Outbound) => (outcome, direction) switch
    {
        (CallOutcome.NotAnswered, CallDirection.Inbound) => Infrastructure.Text.Pick("부재중", "Missed"),
        (CallOutcome.Answered, CallDirection.Inbound) => Infrastructure.Text.Pick("받은 전화", "Answered"),
        (CallOutcome.InProgress, CallDirection.Inbound) => Infrastructure.Text.Pick("수신 중", "Ringing or in progress"),
        (CallOutcome.InProgress, _) => Infrastructure.Text.Pick("통화 중", "In progress"),
        (CallOutcome.Answered, _) => Infrastructure.Text.Pick("통화", "Answered"),
        (CallOutcome.NotAnswered, _) => Infrastructure.Text.Pick("연결 안 됨", "Not answered"),
        (CallOutcome.TimedOut, _) => Infrastructure.Text.Pick("시간 소진으로 종료", "Ended: time used up"),
        // CallHold.Expired: its edge was lost, and the call was charged what it had been granted.
        (CallOutcome.Lost, CallDirection.Outbound) => Infrastructure.Text.Pick("통화 서버 장애로 종료 · 받은 구간까지 차감", "Ended by a call-server failure · charged to its last slice"),
        _ => Infrastructure.Text.Pick("종료 보고 없음", "No end report"),
    };
}
