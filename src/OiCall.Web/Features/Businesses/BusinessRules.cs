using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Audit;
using OiCall.Web.Features.Members;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Businesses;

public sealed record BusinessSummary(Business Business, MemberRole Role, bool IsCurrent, int MemberCount);

/// <summary>What deleting a business would end, shown before it goes.</summary>
public sealed record DeletionConsequences(int OtherMembers, long CallableSeconds)
{
    public bool NeedConfirmation => OtherMembers > 0 || CallableSeconds > 0;
}

/// <summary>Registering, editing, switching and deleting businesses (STEP 2, STEP 7) and main-number verification.</summary>
public sealed class BusinessRules(AppDbContext db, AuditLog audit, TimeProvider clock, OtpService otp, BusinessAccess access, MemberRules members)
{
    public async Task<IReadOnlyList<BusinessSummary>> ListAsync(Guid accountId, CancellationToken ct = default)
    {
        var current = await db.Accounts.Where(a => a.Id == accountId).Select(a => a.CurrentBusinessId).SingleAsync(ct);
        var rows = await db.Members.Where(m => m.AccountId == accountId)
            .Join(db.Businesses, m => m.BusinessId, b => b.Id, (m, b) => new
            {
                Business = b,
                m.Role,
                Members = db.Members.Count(x => x.BusinessId == b.Id),
            })
            .OrderBy(x => x.Business.Name)
            .ToListAsync(ct);
        // With no choice stored yet, the first business is the current one.
        var currentId = rows.Any(r => r.Business.Id == current) ? current : rows.FirstOrDefault()?.Business.Id;
        return [.. rows.Select(r => new BusinessSummary(r.Business, r.Role, r.Business.Id == currentId, r.Members))];
    }

    /// <summary>내 업체 등록: the creator becomes its first admin, and it becomes their current business.</summary>
    public async Task<Business> CreateAsync(Guid accountId, string? name, string? mainNumber, CancellationToken ct = default)
    {
        var cleanName = ValidName(name);
        var number = await UsableMainNumberAsync(mainNumber, null, ct);
        var account = await db.Accounts.SingleAsync(a => a.Id == accountId, ct);
        var now = clock.GetUtcNow().UtcDateTime;

        var business = new Business { Name = cleanName, MainNumber = number, CreatedAt = now, CreatedBy = accountId };
        db.Businesses.Add(business);
        db.Members.Add(new Member
        {
            BusinessId = business.Id,
            Name = account.Name,
            Phone = account.Phone,
            Role = MemberRole.Admin,
            AccountId = account.Id,
            CreatedAt = now,
        });
        account.CurrentBusinessId = business.Id;
        audit.Add("business.created", accountId, business.Name, KoreanPhone.Display(number), business.Id);
        await db.SaveChangesAsync(ct);
        return business;
    }

    public async Task<Business> UpdateAsync(Membership admin, string? name, string? mainNumber, CancellationToken ct = default)
    {
        var business = admin.Business;
        var changes = new List<string>();
        if (name is not null && ValidName(name) is var cleanName && cleanName != business.Name)
        {
            changes.Add($"name: {business.Name} → {cleanName}");
            business.Name = cleanName;
        }
        if (mainNumber is not null)
        {
            var number = await UsableMainNumberAsync(mainNumber, business.Id, ct);
            if (number != business.MainNumber)
            {
                changes.Add($"main number: {business.MainNumberDisplay} → {KoreanPhone.Display(number)}");
                business.MainNumber = number;
                // A changed number must be proven again.
                business.Apply(MainNumberEvent.NumberChanged);
            }
        }
        if (changes.Count == 0) return business;
        audit.Add("business.updated", admin.AccountId, business.Name, string.Join("; ", changes), business.Id);
        await db.SaveChangesAsync(ct);
        return business;
    }

    public async Task SwitchAsync(Guid businessId, System.Security.Claims.ClaimsPrincipal user, CancellationToken ct = default)
    {
        var membership = await access.MemberAsync(businessId, user, ct);
        await db.Accounts.Where(a => a.Id == membership.AccountId)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.CurrentBusinessId, businessId), ct);
    }

    public async Task<DeletionConsequences> DeletionConsequencesAsync(Membership admin, CancellationToken ct = default)
    {
        var others = await db.Members.CountAsync(m => m.BusinessId == admin.BusinessId && m.Id != admin.Me.Id, ct);
        // Call time joins here with the ledger.
        return new DeletionConsequences(others, 0);
    }

    /// <summary>Soft delete: members lose access at once; the ledger and history stay for the operator.</summary>
    public async Task DeleteAsync(Membership admin, bool confirmed, CancellationToken ct = default)
    {
        var consequences = await DeletionConsequencesAsync(admin, ct);
        if (consequences.NeedConfirmation && !confirmed) throw new AppProblem(BusinessErrors.DeletionNeedsConfirmation);
        admin.Business.DeletedAt = clock.GetUtcNow().UtcDateTime;
        admin.Business.DeletedBy = admin.AccountId;
        audit.Add("business.deleted", admin.AccountId, admin.Business.Name,
            $"members: {consequences.OtherMembers + 1}, callable seconds: {consequences.CallableSeconds}", admin.BusinessId);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>인증요청: a mobile number gets a code by SMS; any other number waits for an operator.</summary>
    public async Task<CodeSent?> RequestMainNumberVerificationAsync(Membership admin, string ip, CancellationToken ct = default)
    {
        var business = admin.Business;
        business.Apply(MainNumberEvent.VerificationRequested);
        audit.Add("main_number.verification_requested", admin.AccountId, business.MainNumberDisplay, null, business.Id);
        await db.SaveChangesAsync(ct);
        return business.MainNumberIsMobile
            ? await otp.StartPhoneProofAsync(OtpPurpose.MainNumber, business.MainNumber, business.Id, admin.AccountId, ip, ct)
            : null;
    }

    public async Task ConfirmMainNumberAsync(Membership admin, Guid challengeId, string? code, CancellationToken ct = default)
    {
        var business = admin.Business;
        var (_, tx) = await otp.ConsumeAsync(challengeId, code,
            c => c.Purpose == OtpPurpose.MainNumber && c.SubjectId == business.Id && c.Phone == business.MainNumber, ct);
        await using var _ = tx;
        await EnsureNotVerifiedElsewhereAsync(business.MainNumber, business.Id, ct);
        business.Apply(MainNumberEvent.CodeConfirmed);
        audit.Add("main_number.verified", admin.AccountId, business.MainNumberDisplay, "sms", business.Id);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Main numbers waiting for an operator, oldest first (a mobile number proves itself by SMS instead).</summary>
    public async Task<IReadOnlyList<Business>> MainNumbersAwaitingOperatorAsync(CancellationToken ct = default) =>
        (await db.Businesses.AsNoTracking().Where(b => b.MainNumberState == MainNumberState.Requested).OrderBy(b => b.CreatedAt).ToListAsync(ct))
            .Where(b => !b.MainNumberIsMobile).ToList();

    /// <summary>An operator's decision on a main number that cannot be proven by SMS.</summary>
    public async Task<Business> DecideMainNumberAsync(Guid operatorId, Guid businessId, bool approve, string? reason, CancellationToken ct = default)
    {
        var business = await db.Businesses.SingleOrDefaultAsync(b => b.Id == businessId, ct)
            ?? throw new AppProblem(BusinessErrors.NotFound);
        if (approve) await EnsureNotVerifiedElsewhereAsync(business.MainNumber, business.Id, ct);
        business.Apply(approve ? MainNumberEvent.OperatorApproved : MainNumberEvent.OperatorRejected, reason);
        audit.Add(approve ? "main_number.approved" : "main_number.rejected", operatorId, business.MainNumberDisplay, reason, business.Id);
        await db.SaveChangesAsync(ct);
        await members.TextAdminsAsync(business.Id, approve
            ? $"[오이콜] 대표번호 {business.MainNumberDisplay} 인증완료되었습니다."
            : $"[오이콜] 대표번호 {business.MainNumberDisplay} 반려: {business.MainNumberRejectReason}", ct);
        return business;
    }

    private static string ValidName(string? name)
    {
        var clean = (name ?? "").Trim();
        return clean.Length is 0 or > 60 ? throw new AppProblem(BusinessErrors.InvalidName, "name") : clean;
    }

    private async Task<string> UsableMainNumberAsync(string? typed, Guid? businessId, CancellationToken ct)
    {
        var number = KoreanPhone.Parse(typed) ?? throw new AppProblem(BusinessErrors.InvalidMainNumber, "mainNumber");
        await EnsureNotVerifiedElsewhereAsync(number.E164, businessId, ct);
        return number.E164;
    }

    private async Task EnsureNotVerifiedElsewhereAsync(string e164, Guid? businessId, CancellationToken ct)
    {
        if (await db.Businesses.AnyAsync(b => b.MainNumber == e164 && b.Id != businessId && b.MainNumberState == MainNumberState.Verified, ct))
            throw new AppProblem(BusinessErrors.MainNumberTaken, "mainNumber");
    }
}
