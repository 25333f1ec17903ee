using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Audit;
using OiCall.Web.Features.Businesses;

namespace OiCall.Web.Features.Telephony;

public sealed record CallPrivacyRequest(bool KeepDialledDigits);
/// <summary>MaxCallsPerMember and DailyCapMinutes: null leaves them as they are; DailyCapMinutes 0 removes the cap.</summary>
public sealed record CallPolicyRequest(bool AllowInternational, bool AllowPremium, bool CallsSuspended, int? MaxCallsPerMember = null, long? DailyCapMinutes = null);
public sealed record CallPolicyResponse(bool AllowInternational, bool AllowPremium, bool CallsSuspended, bool KeepDialledDigits, int MaxCallsPerMember, long? DailyCapMinutes);

/// <summary>Who may call what: the operator's bars and suspension, the admins' record-keeping choice.</summary>
public sealed class CallPolicy(AppDbContext db, AuditLog audit)
{
    public async Task<Business> SetPrivacyAsync(Membership admin, bool keepDialledDigits, CancellationToken ct = default)
    {
        admin.Business.KeepDialledDigits = keepDialledDigits;
        audit.Add("business.call_privacy", admin.AccountId, null, $"keepDialledDigits={keepDialledDigits}", admin.BusinessId);
        await db.SaveChangesAsync(ct);
        return admin.Business;
    }

    public async Task<Business> SetPolicyAsync(Guid operatorId, Guid businessId, CallPolicyRequest policy, CancellationToken ct = default)
    {
        var business = await db.Businesses.SingleOrDefaultAsync(b => b.Id == businessId, ct) ?? throw new Infrastructure.AppProblem(BusinessErrors.NotFound);
        if (policy.MaxCallsPerMember is < 1 or > MaxCallsLimit) throw new Infrastructure.AppProblem(TelephonyErrors.BadCallLimit, "maxCallsPerMember");
        if (policy.DailyCapMinutes is < 0 or > MaxDailyCapMinutes) throw new Infrastructure.AppProblem(TelephonyErrors.BadDailyCap, "dailyCapMinutes");
        (business.AllowInternational, business.AllowPremium, business.CallsSuspended) = (policy.AllowInternational, policy.AllowPremium, policy.CallsSuspended);
        if (policy.MaxCallsPerMember is { } calls) business.MaxCallsPerMember = calls;
        if (policy.DailyCapMinutes is { } cap) business.DailyCallCapSeconds = cap == 0 ? null : cap * 60;
        audit.Add("business.call_policy", operatorId, null,
            $"international={policy.AllowInternational} premium={policy.AllowPremium} suspended={policy.CallsSuspended} " +
            $"callsPerMember={business.MaxCallsPerMember} dailyCapSeconds={business.DailyCallCapSeconds}", businessId);
        await db.SaveChangesAsync(ct);
        return business;
    }

    public const int MaxCallsLimit = 100;
    public const long MaxDailyCapMinutes = 100_000;

    public static CallPolicyResponse Response(Business b) =>
        new(b.AllowInternational, b.AllowPremium, b.CallsSuspended, b.KeepDialledDigits, b.MaxCallsPerMember, b.DailyCallCapSeconds / 60);
}
