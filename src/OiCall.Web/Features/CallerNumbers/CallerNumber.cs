using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.CallerNumbers;

/// <summary>Where a caller number is on its way to being presented (발신번호 사전 등록).</summary>
public enum CallerNumberState
{
    /// <summary>확인 중 (code): a mobile number waits for its SMS code (proof of possession).</summary>
    Requested = 0,
    /// <summary>서류 필요: possession is proven or not provable by SMS; documents are to be uploaded and submitted.</summary>
    AwaitingDocuments = 1,
    /// <summary>확인 중 (review): submitted; an operator reviews the documents.</summary>
    InReview = 2,
    /// <summary>인증완료: may be presented on calls.</summary>
    Approved = 3,
    /// <summary>반려: refused with a reason; new documents can be submitted.</summary>
    Rejected = 4,
    /// <summary>삭제: never presented again; kept with its history.</summary>
    Deleted = 5,
}

public enum CallerNumberEvent
{
    CodeConfirmed,
    DocumentsSubmitted,
    OperatorApproved,
    OperatorRejected,
    Deleted,
}

/// <summary>A number a business asks to present as its caller ID, and the evidence for it.</summary>
public sealed class CallerNumber
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid BusinessId { get; init; }
    /// <summary>E.164.</summary>
    public required string Number { get; init; }
    /// <summary>What the business calls it ("본사 대표번호", "영업팀").</summary>
    public required string Name { get; set; }
    public CallerNumberState State { get; private set; }
    public string? RejectReason { get; private set; }
    public DateTime CreatedAt { get; init; }
    public Guid CreatedBy { get; init; }
    public DateTime? SubmittedAt { get; private set; }
    public DateTime? DecidedAt { get; private set; }
    public Guid? DecidedBy { get; private set; }

    public string NumberDisplay => KoreanPhone.Display(Number);
    public bool IsMobile => KoreanPhone.Parse(Number)?.IsMobile == true;

    /// <summary>A new number starts waiting for its SMS code when an SMS can prove it, else straight at documents.</summary>
    public static CallerNumber Register(Guid businessId, KoreanNumber number, string name, Guid by, DateTime now) => new()
    {
        BusinessId = businessId, Number = number.E164, Name = name, CreatedAt = now, CreatedBy = by,
        State = number.IsMobile ? CallerNumberState.Requested : CallerNumberState.AwaitingDocuments,
    };

    /// <summary>The one place a caller number's state moves; refuses what its state does not allow.</summary>
    public void Apply(CallerNumberEvent change, DateTime now, Guid? by = null, string? reason = null)
    {
        (State, RejectReason) = (State, change) switch
        {
            (CallerNumberState.Deleted, _) => throw new AppProblem(CallerNumberErrors.Deleted),
            (_, CallerNumberEvent.Deleted) => (CallerNumberState.Deleted, RejectReason),
            (CallerNumberState.Requested, CallerNumberEvent.CodeConfirmed) => (CallerNumberState.AwaitingDocuments, null),
            (CallerNumberState.AwaitingDocuments or CallerNumberState.Rejected, CallerNumberEvent.DocumentsSubmitted) => (CallerNumberState.InReview, null),
            (CallerNumberState.Requested, CallerNumberEvent.DocumentsSubmitted) => throw new AppProblem(CallerNumberErrors.PossessionFirst),
            (CallerNumberState.InReview, CallerNumberEvent.OperatorApproved) => (CallerNumberState.Approved, null),
            (CallerNumberState.InReview, CallerNumberEvent.OperatorRejected) when !string.IsNullOrWhiteSpace(reason) => (CallerNumberState.Rejected, reason.Trim()),
            (CallerNumberState.InReview, CallerNumberEvent.OperatorRejected) => throw new AppProblem(CallerNumberErrors.ReasonRequired, "reason"),
            _ => throw new AppProblem(CallerNumberErrors.NotAllowedNow),
        };
        if (change == CallerNumberEvent.DocumentsSubmitted) SubmittedAt = now;
        if (change is CallerNumberEvent.OperatorApproved or CallerNumberEvent.OperatorRejected) (DecidedAt, DecidedBy) = (now, by);
    }
}

public enum DocumentKind
{
    /// <summary>통신서비스 이용증명원 (가입사실확인서 / 이용계약증명서 / 가입원부증명서): required for every number.</summary>
    UsageCertificate = 0,
    /// <summary>사업자등록증: when the number belongs to the business.</summary>
    BusinessRegistration = 1,
    /// <summary>재직증명서: when the number belongs to an employee.</summary>
    EmploymentCertificate = 2,
    Other = 3,
}

/// <summary>An uploaded document: stored outside the web root under a generated name; its SHA-256 outlives the file.</summary>
public sealed class CallerNumberDocument
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid CallerNumberId { get; init; }
    public Guid BusinessId { get; init; }
    public DocumentKind Kind { get; init; }
    /// <summary>The name the file had, for people to recognise it; never used as a path.</summary>
    public required string OriginalName { get; init; }
    public required string StoredName { get; init; }
    /// <summary>Detected from the content: application/pdf, image/jpeg or image/png.</summary>
    public required string ContentType { get; init; }
    public long Size { get; init; }
    public required string Sha256 { get; init; }
    public DateTime UploadedAt { get; init; }
    public Guid UploadedBy { get; init; }
    /// <summary>When retention removed the file (the row and hash stay).</summary>
    public DateTime? PurgedAt { get; set; }
}

internal sealed class CallerNumberConfiguration : IEntityTypeConfiguration<CallerNumber>
{
    public void Configure(EntityTypeBuilder<CallerNumber> b)
    {
        b.Property(x => x.Number).HasMaxLength(16);
        b.Property(x => x.Name).HasMaxLength(60);
        b.Property(x => x.RejectReason).HasMaxLength(300);
        b.HasIndex(x => new { x.BusinessId, x.State });
        b.HasIndex(x => x.Number);
        b.HasIndex(x => new { x.State, x.SubmittedAt });
        b.Ignore(x => x.NumberDisplay);
        b.Ignore(x => x.IsMobile);
    }
}

internal sealed class CallerNumberDocumentConfiguration : IEntityTypeConfiguration<CallerNumberDocument>
{
    public void Configure(EntityTypeBuilder<CallerNumberDocument> b)
    {
        b.Property(x => x.OriginalName).HasMaxLength(200);
        b.Property(x => x.StoredName).HasMaxLength(80);
        b.Property(x => x.ContentType).HasMaxLength(40);
        b.Property(x => x.Sha256).HasMaxLength(64);
        b.HasIndex(x => x.CallerNumberId);
        b.HasOne<CallerNumber>().WithMany().HasForeignKey(x => x.CallerNumberId).OnDelete(DeleteBehavior.Restrict);
    }
}

public static class CallerNumberText
{
    public static NumberStatus Status(this CallerNumberState state) => state switch
    {
        CallerNumberState.Requested or CallerNumberState.InReview => NumberStatus.Checking,
        CallerNumberState.AwaitingDocuments => NumberStatus.DocumentsNeeded,
        CallerNumberState.Approved => NumberStatus.Verified,
        CallerNumberState.Rejected => NumberStatus.Rejected,
        _ => NumberStatus.Deleted,
    };

    /// <summary>The shared status words; <see cref="NextStep"/> says what the admin does next.</summary>
    public static string Label(this CallerNumberState state) => state.Status().Label();

    /// <summary>What the admin does next, in their words.</summary>
    public static string NextStep(this CallerNumberState state) => state switch
    {
        CallerNumberState.Requested => Text.Pick("이 번호로 받은 인증번호 6자리를 입력하세요.", "Enter the 6-digit code this number received."),
        CallerNumberState.AwaitingDocuments => Text.Pick("통신서비스 이용증명원(3개월 이내 발급)을 올리고 심사를 요청하세요.", "Upload the carrier's usage certificate (issued within 3 months) and submit for review."),
        CallerNumberState.InReview => Text.Pick("운영자가 서류를 확인하고 있습니다. 결과는 문자로 알려드립니다.", "An operator is checking the documents. You will get an SMS with the result."),
        CallerNumberState.Approved => Text.Pick("통화할 때 이 번호를 발신번호로 쓸 수 있습니다.", "This number can be shown on calls."),
        CallerNumberState.Rejected => Text.Pick("반려 사유를 확인하고 새 서류를 올려 다시 심사를 요청하세요.", "Read the reason, upload new documents and submit again."),
        _ => Text.Pick("삭제된 번호는 다시 쓰이지 않습니다.", "A deleted number is never shown again."),
    };

    public static string Label(this DocumentKind kind) => kind switch
    {
        DocumentKind.UsageCertificate => Text.Pick("통신서비스 이용증명원", "Carrier usage certificate"),
        DocumentKind.BusinessRegistration => Text.Pick("사업자등록증", "Business registration"),
        DocumentKind.EmploymentCertificate => Text.Pick("재직증명서", "Employment certificate"),
        _ => Text.Pick("기타", "Other"),
    };
}

public static class CallerNumberErrors
{
    public static readonly ErrorInfo NotFound = new("caller_number_not_found", 404, "발신번호를 찾을 수 없습니다.", "Caller number not found.");
    public static readonly ErrorInfo InvalidNumber = new("invalid_caller_number", 400,
        "8~11자리의 올바른 국내 전화번호를 입력하세요.", "Enter a valid Korean number of 8 to 11 digits.");
    public static readonly ErrorInfo InvalidName = new("invalid_caller_number_name", 400, "번호 이름을 1~60자로 입력하세요.", "Give the number a name of 1 to 60 characters.");
    public static readonly ErrorInfo TakenElsewhere = new("caller_number_taken", 409,
        "다른 업체에서 이미 승인된 번호입니다. 번호가 귀사 것이라면 고객센터로 문의하세요.", "This number is already approved for another business. If it is yours, contact support.");
    public static readonly ErrorInfo TooManyNumbers = new("too_many_caller_numbers", 409,
        "등록할 수 있는 발신번호 수를 넘었습니다. 쓰지 않는 번호를 삭제하세요.", "This business has as many caller numbers as it may. Delete one it no longer uses.");
    public static readonly ErrorInfo TooManyDocuments = new("too_many_documents", 409,
        "이 번호에 올릴 수 있는 서류 수를 넘었습니다.", "This number has as many documents as it may hold.");
    public static readonly ErrorInfo AlreadyRegistered = new("caller_number_exists", 409, "이미 등록된 발신번호입니다.", "This caller number is already registered.");
    public static readonly ErrorInfo PossessionFirst = new("possession_not_proven", 409,
        "먼저 이 번호로 받은 인증번호를 입력하세요.", "First enter the code this number received.");
    public static readonly ErrorInfo NotAllowedNow = new("caller_number_state", 409,
        "지금 상태에서는 할 수 없는 작업입니다.", "That cannot be done in the number's current state.");
    public static readonly ErrorInfo Deleted = new("caller_number_deleted", 409, "삭제된 발신번호입니다.", "This caller number was deleted.");
    public static readonly ErrorInfo ReasonRequired = new("reason_required", 400, "반려 사유를 입력하세요.", "Give a reason for the rejection.");
    public static readonly ErrorInfo DocumentsMissing = new("usage_certificate_missing", 409,
        "통신서비스 이용증명원을 먼저 올려주세요.", "Upload the carrier usage certificate first.");
    public static readonly ErrorInfo NotApproved = new("caller_number_not_approved", 409,
        "승인된 발신번호만 선택할 수 있습니다.", "Only an approved caller number can be chosen.");
    public static readonly ErrorInfo NoFile = new("document_missing", 400, "올릴 파일을 선택하세요.", "Choose a file to upload.");
    public static readonly ErrorInfo TooLarge = new("document_too_large", 413, "파일은 10MB 이하여야 합니다.", "Files must be 10 MB or smaller.");
    public static readonly ErrorInfo WrongType = new("document_type_not_allowed", 415,
        "PDF, JPEG, PNG 파일만 올릴 수 있습니다.", "Only PDF, JPEG and PNG files can be uploaded.");
    public static readonly ErrorInfo DocumentNotFound = new("document_not_found", 404, "서류를 찾을 수 없습니다.", "Document not found.");
    /// <summary>The message for a code a web form was redirected with (?err=…); null for anything unknown.</summary>
    public static string? Localized(string? code) =>
        code is null ? null : typeof(CallerNumberErrors).GetFields().Select(f => f.GetValue(null)).OfType<ErrorInfo>().FirstOrDefault(e => e.Code == code)?.Localized;

    public static readonly ErrorInfo DocumentPurged = new("document_purged", 410,
        "보관 기간이 지나 삭제된 서류입니다. 해시값은 남아 있습니다.", "The document was deleted after its retention period; its hash remains.");
}
