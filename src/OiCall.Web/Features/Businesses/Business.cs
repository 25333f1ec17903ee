using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Businesses;

/// <summary>Verification of a business's main number (대표번호).</summary>
public enum MainNumberState
{
    /// <summary>미인증: entered, nobody asked to verify it yet (or it was changed).</summary>
    Unverified = 0,
    /// <summary>확인 중: a code is on its way (mobile) or an operator is to decide (other numbers).</summary>
    Requested = 1,
    /// <summary>인증완료: proven; the number may be presented.</summary>
    Verified = 2,
    /// <summary>반려: an operator refused it, with a reason; the admin may ask again.</summary>
    Rejected = 3,
}

/// <summary>What can happen to a main number; <see cref="Business.Apply"/> is the one place that moves it.</summary>
public enum MainNumberEvent
{
    VerificationRequested,
    CodeConfirmed,
    OperatorApproved,
    OperatorRejected,
    NumberChanged,
}

/// <summary>How a business pays for call time.</summary>
public enum BillingPlan
{
    /// <summary>선불: time comes from coupons charged into the business pool.</summary>
    Prepaid = 0,
    /// <summary>후불제: admins distribute on a monthly credit line; usage is billed by monthly statement.</summary>
    Postpaid = 1,
}

/// <summary>A business (업체): name, main number and its verification. Deleting is soft: the ledger and history stay.</summary>
public sealed class Business
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    /// <summary>E.164; any valid Korean number (02-…, 070-…, 1588-…, 010-…).</summary>
    public required string MainNumber { get; set; }
    public MainNumberState MainNumberState { get; private set; }
    public string? MainNumberRejectReason { get; private set; }
    public DateTime CreatedAt { get; init; }
    public Guid CreatedBy { get; init; }
    public DateTime? DeletedAt { get; set; }
    public Guid? DeletedBy { get; set; }
    /// <summary>Set by an operator; see <see cref="BillingPlan"/>.</summary>
    public BillingPlan Plan { get; set; }
    /// <summary>Postpaid only: seconds the business may have distributed and not yet billed.</summary>
    public long MonthlyCreditSeconds { get; set; }
    /// <summary>Below this callable time, the home screen warns (set by the business's admins).</summary>
    public long LowBalanceWarningSeconds { get; set; } = DefaultLowBalanceWarningSeconds;
    /// <summary>Below this remaining time, a member's line and screen warn.</summary>
    public long MemberLowBalanceWarningSeconds { get; set; } = DefaultMemberLowBalanceWarningSeconds;
    /// <summary>Operator: calls abroad may be placed (barred by default).</summary>
    public bool AllowInternational { get; set; }
    /// <summary>Operator: premium-rate numbers (060…) may be called (barred by default).</summary>
    public bool AllowPremium { get; set; }
    /// <summary>Operator: no call may be placed while set.</summary>
    public bool CallsSuspended { get; set; }
    /// <summary>Operator: calls one member may have going at once (a stolen SIP password cannot fan out).</summary>
    public int MaxCallsPerMember { get; set; } = DefaultMaxCallsPerMember;
    public const int DefaultMaxCallsPerMember = 2;
    /// <summary>Operator: seconds the business's members may call per Korean day, in all; null for no cap.</summary>
    public long? DailyCallCapSeconds { get; set; }
    /// <summary>Admins' opt-in: call records keep the last four digits of the dialled number (by default nothing of it).</summary>
    public bool KeepDialledDigits { get; set; }
    /// <summary>The approved caller number calls present unless a member has their own (checked again at use).</summary>
    public Guid? DefaultCallerNumberId { get; set; }
    /// <summary>Bumped by every change to who administers the business; serialises those changes.</summary>
    public long Version { get; set; }

    public const long DefaultLowBalanceWarningSeconds = 60 * 60;
    public const long DefaultMemberLowBalanceWarningSeconds = 10 * 60;

    public string MainNumberDisplay => KoreanPhone.Display(MainNumber);
    public bool MainNumberIsMobile => KoreanPhone.Parse(MainNumber)?.IsMobile == true;

    /// <summary>Moves the main number's verification; refuses what the current state does not allow.</summary>
    public void Apply(MainNumberEvent change, string? reason = null)
    {
        (MainNumberState, MainNumberRejectReason) = (MainNumberState, change) switch
        {
            (_, MainNumberEvent.NumberChanged) => (MainNumberState.Unverified, null),
            (MainNumberState.Unverified or MainNumberState.Rejected or MainNumberState.Requested, MainNumberEvent.VerificationRequested)
                => (MainNumberState.Requested, null),
            (MainNumberState.Requested, MainNumberEvent.CodeConfirmed) when MainNumberIsMobile => (MainNumberState.Verified, null),
            (MainNumberState.Requested, MainNumberEvent.OperatorApproved) => (MainNumberState.Verified, null),
            (MainNumberState.Requested, MainNumberEvent.OperatorRejected) when !string.IsNullOrWhiteSpace(reason)
                => (MainNumberState.Rejected, reason.Trim()),
            (MainNumberState.Requested, MainNumberEvent.OperatorRejected) => throw new AppProblem(BusinessErrors.ReasonRequired, "reason"),
            (MainNumberState.Verified, MainNumberEvent.VerificationRequested) => throw new AppProblem(BusinessErrors.AlreadyVerified),
            _ => throw new AppProblem(BusinessErrors.NotAwaitingVerification),
        };
    }
}

internal sealed class BusinessConfiguration : IEntityTypeConfiguration<Business>
{
    public void Configure(EntityTypeBuilder<Business> b)
    {
        b.Property(x => x.Name).HasMaxLength(60);
        b.Property(x => x.MainNumber).HasMaxLength(16);
        b.Property(x => x.MainNumberRejectReason).HasMaxLength(300);
        b.HasIndex(x => x.MainNumber);
        b.Property(x => x.LowBalanceWarningSeconds).HasDefaultValue(Business.DefaultLowBalanceWarningSeconds);
        b.Property(x => x.MemberLowBalanceWarningSeconds).HasDefaultValue(Business.DefaultMemberLowBalanceWarningSeconds);
        b.ToTable(t => t.HasCheckConstraint("CK_Businesses_Credit", "\"MonthlyCreditSeconds\" >= 0"));
        b.Ignore(x => x.MainNumberDisplay);
        b.Ignore(x => x.MainNumberIsMobile);
        // Deleted businesses vanish from every ordinary query; operators read them with IgnoreQueryFilters.
        b.HasQueryFilter(x => x.DeletedAt == null);
    }
}

public static class MainNumberStateText
{
    public static NumberStatus Status(this MainNumberState state) => state switch
    {
        MainNumberState.Requested => NumberStatus.Checking,
        MainNumberState.Verified => NumberStatus.Verified,
        MainNumberState.Rejected => NumberStatus.Rejected,
        _ => NumberStatus.NotVerified,
    };

    public static string Label(this MainNumberState state) => state.Status().Label();

    public static string Label(this BillingPlan plan) => plan switch
    {
        BillingPlan.Postpaid => Text.Pick("후불제", "Postpaid"),
        _ => Text.Pick("선불 (쿠폰)", "Prepaid (coupons)"),
    };
}
