using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Audit;
using OiCall.Web.Features.Businesses;

namespace OiCall.Web.Features.Telephony;

public sealed record CallPrivacyRequest(bool KeepDialledDigits);
public sealed record CallPolicyRequest(bool AllowInternational, bool AllowPremium, bool CallsSuspended);
public sealed record CallPolicyResponse(bool AllowInternational, bool AllowPremium, bool CallsSuspended, bool KeepDialledDigits);

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
        (business.AllowInternational, business.AllowPremium, business.CallsSuspended) = (policy.AllowInternational, policy.AllowPremium, policy.CallsSuspended);
        audit.Add("business.call_policy", operatorId, null,
            $"international={policy.AllowInternational} premium={policy.AllowPremium} suspended={policy.CallsSuspended}", businessId);
        await db.SaveChangesAsync(ct);
        return business;
    }

    public static CallPolicyResponse Response(Business b) => new(b.AllowInternational, b.AllowPremium, b.CallsSuspended, b.KeepDialledDigits);
}
