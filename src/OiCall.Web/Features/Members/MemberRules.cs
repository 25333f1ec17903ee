using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OiCall.Web.Data;
using OiCall.Web.Features.Audit;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Infrastructure;
using OiCall.Web.Infrastructure.Sms;

namespace OiCall.Web.Features.Members;

public enum ImportOutcome
{
    /// <summary>Will be (or was) added.</summary>
    Add,
    /// <summary>The same number appears earlier in the file.</summary>
    DuplicateInFile,
    /// <summary>Already a member of this business.</summary>
    AlreadyMember,
    /// <summary>A valid number, but not a Korean mobile (members log in by SMS).</summary>
    NotMobile,
    /// <summary>No name, or no readable number.</summary>
    Malformed,
}

/// <summary>Which part of a malformed row could not be read, so the preview can say which.</summary>
public enum ImportUnreadable
{
    None,
    NoName,
    NameTooLong,
    NameHasLink,
    NoNumber,
    NumberUnreadable,
}

public sealed record ImportRow(int Line, string Name, string Phone, string? PhoneDisplay, ImportOutcome Outcome, ImportUnreadable Unreadable = ImportUnreadable.None)
{
    public string Reason => Outcome switch
    {
        ImportOutcome.Add => Text.Pick("추가", "Will be added"),
        ImportOutcome.DuplicateInFile => Text.Pick("건너뜀: 파일 안에서 중복된 번호", "Skipped: the number appears twice in the file"),
        ImportOutcome.AlreadyMember => Text.Pick("건너뜀: 이미 등록된 멤버", "Skipped: already a member"),
        ImportOutcome.NotMobile => Text.Pick("건너뜀: 휴대폰 번호가 아님", "Skipped: not a mobile number"),
        _ => Unreadable switch
        {
            ImportUnreadable.NoName => Text.Pick("건너뜀: 이름이 없음", "Skipped: no name"),
            ImportUnreadable.NameTooLong => Text.Pick("건너뜀: 이름이 50자를 넘음", "Skipped: the name is over 50 characters"),
            ImportUnreadable.NameHasLink => Text.Pick("건너뜀: 이름에 인터넷 주소가 있음", "Skipped: the name holds a web address"),
            ImportUnreadable.NoNumber => Text.Pick("건너뜀: 번호가 없음", "Skipped: no number"),
            _ => Text.Pick($"건너뜀: 번호를 읽을 수 없음 ({Phone})", $"Skipped: the number cannot be read ({Phone})"),
        },
    };
}

public sealed class AppOptions
{
    /// <summary>The address members open from the invite text message.</summary>
    public string PublicUrl { get; set; } = "http://127.0.0.1:5080";
}

public sealed class MemberOptions
{
    /// <summary>Members (each one invite by text) a business may add in 24 hours.</summary>
    public int MaxInvitesPerDay { get; set; } = 200;
}

/// <summary>Members of a business (STEP 3, STEP 6): add by hand or from contacts, edit, make admin, delete.</summary>
public sealed class MemberRules(AppDbContext db, AuditLog audit, TimeProvider clock, BusinessAccess access, ISmsSender sms,
    IOptions<AppOptions> app, LedgerService ledger, IOptions<MemberOptions> limits, ILogger<MemberRules> logger)
{
    public Task<List<Member>> ListAsync(Membership admin, string? search, CancellationToken ct = default)
    {
        RequireAdmin(admin);
        var query = db.Members.AsNoTracking().Where(m => m.BusinessId == admin.BusinessId);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim();
            var digits = new string([.. term.Where(char.IsAsciiDigit)]);
            // Numbers are stored as +8210…; "1234" or "010-1234" should still find them.
            var phonePart = digits.StartsWith('0') ? digits[1..] : digits;
            query = query.Where(m => m.Name.Contains(term) || (phonePart.Length >= 3 && m.Phone.Contains(phonePart)));
        }
        return query.OrderByDescending(m => m.Role).ThenBy(m => m.Name).ToListAsync(ct);
    }

    /// <summary>Admins see every member; a plain member sees only themselves (others answer 404).</summary>
    public async Task<Member> GetAsync(Membership caller, Guid memberId, CancellationToken ct = default)
    {
        if (!caller.Me.IsAdmin && memberId != caller.Me.Id) throw new AppProblem(MemberErrors.NotFound);
        return await db.Members.SingleOrDefaultAsync(m => m.Id == memberId && m.BusinessId == caller.BusinessId, ct)
            ?? throw new AppProblem(MemberErrors.NotFound);
    }

    public async Task<Member> AddAsync(Membership admin, string? name, string? phone, CancellationToken ct = default)
    {
        RequireAdmin(admin);
        var member = NewMember(admin, ValidName(name), ValidPhone(phone));
        if (await db.Members.AnyAsync(m => m.BusinessId == admin.BusinessId && m.Phone == member.Phone, ct))
            throw new AppProblem(MemberErrors.AlreadyMember, "phone");
        await EnforceInviteCapAsync(admin, 1, ct);
        member.AccountId = await AccountIdForAsync(member.Phone, ct);
        db.Members.Add(member);
        audit.Add("member.added", admin.AccountId, member.Name, KoreanPhone.Masked(member.Phone), admin.BusinessId);
        await SaveRefusingDuplicatesAsync(ct);
        if (MayInvite(admin.Business)) await InviteAsync(admin.Business, [member], ct);
        return member;
    }

    /// <summary>What importing these contacts would do, row by row, before anything is added.</summary>
    public async Task<IReadOnlyList<ImportRow>> PlanImportAsync(Membership admin, IReadOnlyList<ContactRow> contacts, CancellationToken ct = default)
    {
        RequireAdmin(admin);
        if (contacts.Count == 0) throw new AppProblem(MemberErrors.ImportEmpty);
        if (contacts.Count > ContactImport.MaxContacts) throw new AppProblem(MemberErrors.ImportTooLarge);
        var existing = (await db.Members.Where(m => m.BusinessId == admin.BusinessId).Select(m => m.Phone).ToListAsync(ct)).ToHashSet();
        var seen = new HashSet<string>();
        var rows = new List<ImportRow>();
        foreach (var contact in contacts)
        {
            var name = (contact.Name ?? "").Trim();
            var raw = (contact.Phone ?? "").Trim();
            var number = KoreanPhone.Parse(raw);
            var unreadable =
                name.Length == 0 ? ImportUnreadable.NoName
                : name.Length > 50 ? ImportUnreadable.NameTooLong
                : SmsText.HasLink(name) ? ImportUnreadable.NameHasLink
                : raw.Length == 0 ? ImportUnreadable.NoNumber
                : number is null ? ImportUnreadable.NumberUnreadable
                : ImportUnreadable.None;
            var outcome =
                unreadable != ImportUnreadable.None ? ImportOutcome.Malformed
                : !number!.Value.IsMobile ? ImportOutcome.NotMobile
                : existing.Contains(number.Value.E164) ? ImportOutcome.AlreadyMember
                : !seen.Add(number.Value.E164) ? ImportOutcome.DuplicateInFile
                : ImportOutcome.Add;
            rows.Add(new ImportRow(contact.Line, name, outcome == ImportOutcome.Add ? number!.Value.E164 : raw, number?.Display, outcome, unreadable));
        }
        return rows;
    }

    /// <summary>Adds every row the plan marks Add, in one transaction; returns the plan as carried out.</summary>
    public async Task<IReadOnlyList<ImportRow>> ImportAsync(Membership admin, IReadOnlyList<ContactRow> contacts, CancellationToken ct = default)
    {
        var plan = await PlanImportAsync(admin, contacts, ct);
        await EnforceInviteCapAsync(admin, plan.Count(r => r.Outcome == ImportOutcome.Add), ct);
        var added = new List<Member>();
        foreach (var row in plan.Where(r => r.Outcome == ImportOutcome.Add))
        {
            var member = NewMember(admin, row.Name, row.Phone);
            member.AccountId = await AccountIdForAsync(member.Phone, ct);
            db.Members.Add(member);
            added.Add(member);
        }
        if (added.Count == 0) return plan;
        audit.Add("member.imported", admin.AccountId, $"{added.Count} added", $"{plan.Count - added.Count} skipped", admin.BusinessId);
        await SaveRefusingDuplicatesAsync(ct);
        if (MayInvite(admin.Business)) await InviteAsync(admin.Business, added, ct);
        return plan;
    }

    public async Task<Member> UpdateAsync(Membership admin, Guid memberId, string? name, string? phone, CancellationToken ct = default)
    {
        RequireAdmin(admin);
        var member = await GetAsync(admin, memberId, ct);
        var changes = new List<string>();
        if (name is not null && ValidName(name) is var cleanName && cleanName != member.Name)
        {
            changes.Add($"name: {member.Name} → {cleanName}");
            member.Name = cleanName;
        }
        if (phone is not null && ValidPhone(phone) is var number && number != member.Phone)
        {
            if (await db.Members.AnyAsync(m => m.BusinessId == admin.BusinessId && m.Phone == number, ct))
                throw new AppProblem(MemberErrors.AlreadyMember, "phone");
            changes.Add($"phone: {KoreanPhone.Masked(member.Phone)} → {KoreanPhone.Masked(number)}");
            member.Phone = number;
            // The membership follows the number: whoever owns the new number logs in as this member.
            member.AccountId = await AccountIdForAsync(number, ct);
        }
        if (changes.Count == 0) return member;
        audit.Add("member.updated", admin.AccountId, member.Id.ToString(), string.Join("; ", changes), admin.BusinessId);
        await SaveRefusingDuplicatesAsync(ct);
        return member;
    }

    /// <summary>관리자로 지정 / 관리자 해제. The last admin cannot be released.</summary>
    public async Task<Member> SetRoleAsync(Membership admin, Guid memberId, MemberRole role, CancellationToken ct = default)
    {
        RequireAdmin(admin);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await access.LockAsync(admin.BusinessId, ct);
        var member = await GetAsync(admin, memberId, ct);
        if (member.Role == role) return member;
        if (role == MemberRole.Member) await EnsureAnotherAdminAsync(admin.BusinessId, member.Id, ct);
        member.Role = role;
        audit.Add(role == MemberRole.Admin ? "member.made_admin" : "member.admin_released", admin.AccountId, member.Id.ToString(), member.Name, admin.BusinessId);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return member;
    }

    /// <summary>
    /// 멤버 삭제: soft, so history keeps the name. The member's free time goes back to the business
    /// in the same transaction (returns the seconds). A member in a call is refused until the call
    /// ends (or its hold expires): their held time must settle first. The last admin cannot be deleted.
    /// </summary>
    public async Task<long> DeleteAsync(Membership admin, Guid memberId, CancellationToken ct = default)
    {
        RequireAdmin(admin);
        var member = await GetAsync(admin, memberId, ct);
        await ledger.EnsureMemberAccountsAsync(admin.BusinessId, member.Id, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await access.LockAsync(admin.BusinessId, ct);
        // Deleted by someone else while the accounts were made: gone is gone.
        if (!await db.Members.AnyAsync(m => m.Id == member.Id, ct)) throw new AppProblem(MemberErrors.NotFound);
        if (member.IsAdmin) await EnsureAnotherAdminAsync(admin.BusinessId, member.Id, ct);
        var returned = await ledger.ReclaimAllForDeletionAsync(admin.BusinessId, member.Id, admin.AccountId, ct)
            ?? throw new AppProblem(MemberErrors.InCall);
        member.DeletedAt = clock.GetUtcNow().UtcDateTime;
        audit.Add("member.deleted", admin.AccountId, member.Id.ToString(), $"{member.Name}; returned seconds: {returned}", admin.BusinessId);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return returned;
    }

    private async Task EnsureAnotherAdminAsync(Guid businessId, Guid memberId, CancellationToken ct)
    {
        if (!await db.Members.AnyAsync(m => m.BusinessId == businessId && m.Role == MemberRole.Admin && m.Id != memberId, ct))
            throw new AppProblem(MemberErrors.LastAdmin);
    }

    /// <summary>
    /// Every change checks the role itself, whoever calls (a page handler, the API): a page's own
    /// access check is not the last line, and a plain member may read (GetAsync) only themselves.
    /// </summary>
    public static void RequireAdmin(Membership caller)
    {
        if (!caller.Me.IsAdmin) throw new AppProblem(BusinessErrors.AdminOnly);
    }

    /// <summary>
    /// Each member added is one text from the service's number: a business may add (and so
    /// invite) at most Members:MaxInvitesPerDay in 24 hours, members deleted since included.
    /// </summary>
    private async Task EnforceInviteCapAsync(Membership admin, int adding, CancellationToken ct)
    {
        if (adding == 0) return;
        var now = clock.GetUtcNow().UtcDateTime;
        var since = now.AddDays(-1);
        var max = limits.Value.MaxInvitesPerDay;
        var recent = await db.Members.IgnoreQueryFilters().Where(m => m.BusinessId == admin.BusinessId && m.CreatedAt > since)
            .OrderBy(m => m.CreatedAt).Select(m => m.CreatedAt).ToListAsync(ct);
        if (recent.Count + adding <= max) return;
        // A place frees up when the oldest of the day's additions is a day old.
        var freeAt = recent.Count + adding - max <= recent.Count ? recent[recent.Count + adding - max - 1].AddDays(1) : now.AddDays(1);
        var wait = freeAt - now;
        throw new AppProblem(MemberErrors.TooManyInvites, retryAfter: wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait);
    }

    /// <summary>Only a business whose main number is verified texts invites: nobody can use the service's number in the name of a business they made up.</summary>
    private static bool MayInvite(Business business) => business.MainNumberState == MainNumberState.Verified;

    private Member NewMember(Membership admin, string name, string phone) => new()
    {
        BusinessId = admin.BusinessId,
        Name = name,
        Phone = phone,
        Role = MemberRole.Member,
        CreatedAt = clock.GetUtcNow().UtcDateTime,
    };

    private Task<Guid?> AccountIdForAsync(string phone, CancellationToken ct) =>
        db.Accounts.Where(a => a.Phone == phone).Select(a => (Guid?)a.Id).SingleOrDefaultAsync(ct);

    private async Task SaveRefusingDuplicatesAsync(CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The unique index caught a number added at the same moment (a double submit).
            db.ChangeTracker.Clear();
            throw new AppProblem(MemberErrors.AlreadyMember, "phone");
        }
    }

    /// <summary>
    /// Texts every admin of the business (an operator's decision on its numbers). Call it after
    /// saving: a failed delivery throws, and what was saved stays saved.
    /// </summary>
    public async Task TextAdminsAsync(Guid businessId, string text, CancellationToken ct = default)
    {
        var phones = await db.Members.Where(m => m.BusinessId == businessId && m.Role == MemberRole.Admin).Select(m => m.Phone).ToListAsync(ct);
        foreach (var phone in phones) await sms.SendAsync(phone, text, ct);
    }

    /// <summary>Invites are a courtesy: a failed text is logged and does not undo the membership.</summary>
    private async Task InviteAsync(Business business, IEnumerable<Member> members, CancellationToken ct)
    {
        foreach (var member in members)
        {
            try
            {
                await sms.SendAsync(member.Phone,
                    InviteText(business.Name, member.Name, member.PhoneDisplay, app.Value.PublicUrl), ct);
            }
            catch (SmsDeliveryException e)
            {
                logger.LogWarning(e, "Invite to a new member of {Business} was not delivered", business.Id);
            }
        }
    }

    /// <summary>What the invite says: where to go and what to type. No sign-up: the first login makes the account.</summary>
    public static string InviteText(string business, string member, string phoneDisplay, string publicUrl) =>
        $"[오이콜] {business}에서 {member}님을 멤버로 등록했습니다. {publicUrl.TrimEnd('/')}/login 에서 휴대폰 번호 {phoneDisplay}를 입력하고 문자로 받은 인증번호를 넣으면 바로 로그인됩니다 (회원가입 필요 없음).";

    private static string ValidName(string? name)
    {
        var clean = (name ?? "").Trim();
        if (clean.Length is 0 or > 50) throw new AppProblem(MemberErrors.InvalidName, "name");
        return SmsText.HasLink(clean) ? throw new AppProblem(SmsText.LinkInName, "name") : clean;
    }

    private static string ValidPhone(string? phone) =>
        KoreanPhone.ParseMobile(phone)?.E164 ?? throw new AppProblem(MemberErrors.InvalidPhone, "phone");
}
