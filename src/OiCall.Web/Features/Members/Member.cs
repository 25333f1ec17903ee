using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Members;

public enum MemberRole
{
    /// <summary>멤버: calls with the company number, sees only their own details and balance.</summary>
    Member = 0,
    /// <summary>관리자: adds and removes members, distributes time, edits the business.</summary>
    Admin = 1,
}

/// <summary>
/// A person in a business (멤버), identified by mobile number. When an account with that number
/// exists or signs in, the membership is linked to it. Deleting is soft so history keeps its names.
/// </summary>
public sealed class Member
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid BusinessId { get; init; }
    public required string Name { get; set; }
    /// <summary>E.164 mobile number (+8210…); unique among the business's current members.</summary>
    public required string Phone { get; set; }
    public MemberRole Role { get; set; }
    /// <summary>The account that logs in as this member; null until that number has an account.</summary>
    public Guid? AccountId { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime? DeletedAt { get; set; }
    /// <summary>The approved caller number this member's calls present instead of the business default.</summary>
    public Guid? CallerNumberId { get; set; }

    public string PhoneDisplay => KoreanPhone.Display(Phone);
    public bool IsAdmin => Role == MemberRole.Admin;
}

internal sealed class MemberConfiguration : IEntityTypeConfiguration<Member>
{
    public void Configure(EntityTypeBuilder<Member> b)
    {
        b.Property(x => x.Name).HasMaxLength(50);
        b.Property(x => x.Phone).HasMaxLength(16);
        b.Ignore(x => x.PhoneDisplay);
        b.Ignore(x => x.IsAdmin);
        b.HasOne<Business>().WithMany().HasForeignKey(x => x.BusinessId);
        b.HasOne<Account>().WithMany().HasForeignKey(x => x.AccountId);
        // One current membership per number and business: the database refuses a duplicate, even from a double submit.
        b.HasIndex(x => new { x.BusinessId, x.Phone }).IsUnique().HasFilter("\"DeletedAt\" IS NULL");
        b.HasIndex(x => x.AccountId);
        b.HasIndex(x => x.Phone);
        b.HasQueryFilter(x => x.DeletedAt == null);
    }
}

public static class MemberErrors
{
    public static readonly ErrorInfo NotFound = new("member_not_found", 404,
        "멤버를 찾을 수 없습니다.", "Member not found.");
    public static readonly ErrorInfo TooManyInvites = new("too_many_invites", 429,
        "오늘 등록할 수 있는 멤버 수(초대 문자)를 넘었습니다.", "This business has added as many members (invites) as it may today.");
    public static readonly ErrorInfo InvalidName = new("invalid_member_name", 400,
        "이름을 1~50자로 입력하세요.", "Enter a name of 1–50 characters.");
    public static readonly ErrorInfo InvalidPhone = new("invalid_member_phone", 400,
        "휴대폰 번호가 올바르지 않습니다. 010으로 시작하는 번호를 입력하세요.", "Enter a Korean mobile number starting with 010.");
    public static readonly ErrorInfo AlreadyMember = new("member_exists", 409,
        "이미 등록된 멤버의 번호입니다.", "A member with this number exists already.");
    public static readonly ErrorInfo LastAdmin = new("last_admin", 409,
        "업체에는 관리자가 한 명 이상 있어야 합니다. 다른 멤버를 먼저 관리자로 설정하세요.",
        "A business needs at least one admin. Make another member an admin first.");
    public static readonly ErrorInfo InCall = new("member_in_call", 409,
        "이 멤버는 지금 통화 중입니다. 통화가 끝난 뒤 다시 삭제하세요 (남은 시간은 그때 업체로 돌아갑니다).",
        "This member is in a call. Delete them after the call ends (their time left then returns to the business).");
    public static readonly ErrorInfo InvalidRole = new("invalid_role", 400,
        "역할은 admin 또는 member 입니다.", "The role is admin or member.");
    public static readonly ErrorInfo ImportEmpty = new("import_empty", 400,
        "가져올 연락처가 없습니다. vCard(.vcf) 또는 CSV 파일을 선택하세요.", "Nothing to import. Choose a vCard (.vcf) or CSV file.");
    public static readonly ErrorInfo ImportTooLarge = new("import_too_large", 413,
        "파일이 너무 큽니다 (최대 1MB, 1,000명).", "The file is too large (at most 1 MB and 1,000 contacts).");
    public static readonly ErrorInfo ImportUnreadable = new("import_unreadable", 400,
        "파일을 읽을 수 없습니다. vCard(.vcf) 또는 CSV 파일인지 확인하세요.", "The file cannot be read. Is it a vCard (.vcf) or CSV file?");
}
