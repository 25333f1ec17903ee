using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Telephony;

/// <summary>A member's SIP account: the password is shown once at issue and stored only as HA1.</summary>
public sealed class SipCredential
{
    public Guid MemberId { get; init; }
    public Guid BusinessId { get; init; }
    /// <summary>Globally unique user part (e.g. "oc40318275").</summary>
    public required string Username { get; init; }
    /// <summary>MD5(username:realm:password), what digest authentication needs and nothing more.</summary>
    public required string Ha1 { get; set; }
    public required string Realm { get; set; }
    public DateTime IssuedAt { get; set; }
}

public enum CallDirection { Outbound = 0, Inbound = 1 }

public enum CallOutcome
{
    /// <summary>Authorized; no end report yet.</summary>
    InProgress = 0,
    Answered = 1,
    NotAnswered = 2,
    /// <summary>Cut by the edge at the granted time.</summary>
    TimedOut = 3,
    /// <summary>
    /// No end report came: the edge was lost with the call (or, inbound, nobody reported it). An
    /// outbound call is billed what it was granted up to its last slice; a late report changes nothing.
    /// </summary>
    Lost = 4,
}

/// <summary>
/// 통화 기록: who called, with which company number, when and for how long. The dialled number is
/// not kept unless the business opted in, and then only its last four digits.
/// </summary>
public sealed class CallRecord
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required string CallId { get; init; }
    public Guid BusinessId { get; init; }
    /// <summary>Who called (outbound) or answered (inbound); null for an inbound call nobody answered.</summary>
    public Guid? MemberId { get; init; }
    public CallDirection Direction { get; init; }
    /// <summary>E.164 of the company number: presented (outbound) or dialled by the customer (inbound).</summary>
    public required string CallerNumber { get; init; }
    /// <summary>The other party's last four digits ("****1234") when the business keeps them; otherwise null.</summary>
    public string? DialledMasked { get; init; }
    public DateTime AuthorizedAt { get; init; }
    public long GrantedSeconds { get; init; }
    public DateTime? AnsweredAt { get; set; }
    public DateTime? EndedAt { get; set; }
    public long BilledSeconds { get; set; }
    public CallOutcome Outcome { get; set; }
    /// <summary>"caller", "callee", "edge" (timeout), <see cref="EndedByEdgeLoss"/>, or "expired" (an inbound call never reported).</summary>
    public string? EndedBy { get; set; }

    /// <summary>What <see cref="EndedBy"/> says of an outbound call whose hold expired without an end report: its edge was lost.</summary>
    public const string EndedByEdgeLoss = "edge_lost";

    /// <summary>What <see cref="DialledMasked"/> keeps of a number: "****" and its last four digits (null if it has fewer).</summary>
    public static string? MaskedLastFour(string? number)
    {
        var digits = new string((number ?? "").Where(char.IsAsciiDigit).ToArray());
        return digits.Length >= 4 ? "****" + digits[^4..] : null;
    }
}

internal sealed class SipCredentialConfiguration : IEntityTypeConfiguration<SipCredential>
{
    public void Configure(EntityTypeBuilder<SipCredential> b)
    {
        b.HasKey(x => x.MemberId);
        b.HasIndex(x => x.Username).IsUnique();
        b.Property(x => x.Username).HasMaxLength(32);
        b.Property(x => x.Ha1).HasMaxLength(32);
        b.Property(x => x.Realm).HasMaxLength(100);
    }
}

internal sealed class CallRecordConfiguration : IEntityTypeConfiguration<CallRecord>
{
    public void Configure(EntityTypeBuilder<CallRecord> b)
    {
        b.HasIndex(x => x.CallId).IsUnique();
        b.HasIndex(x => new { x.BusinessId, x.AuthorizedAt });
        b.HasIndex(x => new { x.MemberId, x.AuthorizedAt });
        b.Property(x => x.CallId).HasMaxLength(SipLimits.MaxCallIdLength);
        b.Property(x => x.CallerNumber).HasMaxLength(16);
        b.Property(x => x.DialledMasked).HasMaxLength(16);
        b.Property(x => x.EndedBy).HasMaxLength(16);
    }
}

/// <summary>
/// The longest values the edge lets through and the control plane takes (the edge answers 400 beyond
/// them, before anything is asked or stored; its limits come from these through the launcher).
/// </summary>
public static class SipLimits
{
    /// <summary>A Call-ID: the length of its columns.</summary>
    public const int MaxCallIdLength = 200;
    /// <summary>A user part (dialled number, From, To, digest username).</summary>
    public const int MaxUserLength = 64;

    public static bool IsCallId([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? callId) => !string.IsNullOrWhiteSpace(callId) && callId.Length <= MaxCallIdLength;
}

public static class TelephonyErrors
{
    public static readonly ErrorInfo EdgeOnly = new("edge_secret_required", 401, "SIP 서버 전용입니다.", "For the SIP edge only.");
    public static readonly ErrorInfo BadCallLimit = new("invalid_call_limit", 400,
        $"동시 통화 수는 1에서 {CallPolicy.MaxCallsLimit} 사이로 입력하세요.", $"Enter between 1 and {CallPolicy.MaxCallsLimit} calls at once.");
    public static readonly ErrorInfo BadDailyCap = new("invalid_daily_cap", 400,
        $"하루 통화 한도는 0(한도 없음)에서 {CallPolicy.MaxDailyCapMinutes:N0}분 사이로 입력하세요.", $"Enter a daily cap between 0 (none) and {CallPolicy.MaxDailyCapMinutes:N0} minutes.");
    public static readonly ErrorInfo BadCallId = new("invalid_call_id", 400, "Call-ID가 필요합니다.", "A Call-ID is required.");
}

/// <summary>
/// The answer the edge acts on: SIP code 200 means relay, anything else is the refusal to send.
/// GrantedSeconds: the call's first slice; SessionSeconds: the Session-Expires it sends the carrier.
/// </summary>
public sealed record CallDecision(int Code, string Reason, string? CallerNumber = null, string? Destination = null, long GrantedSeconds = 0, long SessionSeconds = 0)
{
    public static CallDecision Refuse(int code, string reason) => new(code, reason);
}
