using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OiCall.Web.Data;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Audit;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.Members;
using OiCall.Web.Infrastructure;
using OiCall.Web.Infrastructure.Files;

namespace OiCall.Web.Features.CallerNumbers;

public sealed class CallerNumberOptions
{
    /// <summary>Documents are deleted this many days after the decision on their number.</summary>
    public int DocumentRetentionDays { get; set; } = 90;
    /// <summary>Caller numbers one business may hold at once (deleted ones do not count).</summary>
    public int MaxNumbersPerBusiness { get; set; } = 20;
    /// <summary>Documents one caller number may hold (deleted ones do not count).</summary>
    public int MaxDocumentsPerNumber { get; set; } = 10;
}

/// <summary>A caller number with its documents, as the admin and the operator see it.</summary>
/// <summary>What deleting a number did to the business default: handed it to <paramref name="NewDefault"/>, or left none.</summary>
public sealed record DeletedCallerNumber(bool WasDefault, CallerNumber? NewDefault, bool AnyApprovedLeft);

public sealed record CallerNumberView(CallerNumber Number, IReadOnlyList<CallerNumberDocument> Documents, string BusinessName);

/// <summary>
/// 발신번호 사전 등록 (STEP 9): registration, proof of possession, documents, review, and which
/// approved number each call presents. No route can make an unapproved number presentable.
/// </summary>
public sealed class CallerNumberRules(
    AppDbContext db, AuditLog audit, TimeProvider clock, OtpService otp, IDocumentStore store, MemberRules members, IOptions<CallerNumberOptions> options)
{
    public const long MaxDocumentBytes = 10 * 1024 * 1024;

    /// <summary>An upload's whole body: the document and the form around it. Larger answers document_too_large.</summary>
    public static UploadLimit DocumentUploadLimit(Func<HttpContext, string>? backToPage = null) =>
        new(MaxDocumentBytes + 64 * 1024, CallerNumberErrors.TooLarge, backToPage);

    public Task<List<CallerNumber>> ListAsync(Guid businessId, CancellationToken ct = default) =>
        db.CallerNumbers.AsNoTracking().Where(n => n.BusinessId == businessId && n.State != CallerNumberState.Deleted)
            .OrderBy(n => n.CreatedAt).ToListAsync(ct);

    public async Task<CallerNumberView> ViewAsync(Guid businessId, Guid numberId, CancellationToken ct = default)
    {
        var number = await db.CallerNumbers.AsNoTracking().SingleOrDefaultAsync(n => n.Id == numberId && n.BusinessId == businessId, ct)
            ?? throw new AppProblem(CallerNumberErrors.NotFound);
        var documents = await db.CallerNumberDocuments.AsNoTracking().Where(d => d.CallerNumberId == numberId).OrderBy(d => d.UploadedAt).ToListAsync(ct);
        var business = await db.Businesses.IgnoreQueryFilters().Where(b => b.Id == businessId).Select(b => b.Name).SingleAsync(ct);
        return new CallerNumberView(number, documents, business);
    }

    /// <summary>Registers a number; a mobile one gets an SMS code at once (returned), any other waits for documents.</summary>
    public async Task<(CallerNumber Number, CodeSent? Code)> RegisterAsync(Membership admin, string? typedNumber, string? name, string ip, CancellationToken ct = default)
    {
        MemberRules.RequireAdmin(admin);
        var number = ValidNumber(typedNumber);
        var cleanName = (name ?? "").Trim();
        if (cleanName.Length is 0 or > 60) throw new AppProblem(CallerNumberErrors.InvalidName, "name");
        await EnsureNotApprovedElsewhereAsync(number.E164, admin.BusinessId, ct);
        if (await db.CallerNumbers.AnyAsync(n => n.BusinessId == admin.BusinessId && n.Number == number.E164 && n.State != CallerNumberState.Deleted, ct))
            throw new AppProblem(CallerNumberErrors.AlreadyRegistered, "number");
        if (await db.CallerNumbers.CountAsync(n => n.BusinessId == admin.BusinessId && n.State != CallerNumberState.Deleted, ct) >= options.Value.MaxNumbersPerBusiness)
            throw new AppProblem(CallerNumberErrors.TooManyNumbers);

        var registered = CallerNumber.Register(admin.BusinessId, number, cleanName, admin.AccountId, Now);
        db.CallerNumbers.Add(registered);
        audit.Add("caller_number.registered", admin.AccountId, number.Display, cleanName, admin.BusinessId);
        await db.SaveChangesAsync(ct);
        var code = number.IsMobile ? await otp.StartPhoneProofAsync(OtpPurpose.CallerNumber, number.E164, registered.Id, admin.AccountId, ip, ct) : null;
        return (registered, code);
    }

    public async Task<CodeSent> ResendCodeAsync(Membership admin, Guid numberId, string ip, CancellationToken ct = default)
    {
        var number = await OwnAsync(admin, numberId, ct);
        if (number.State != CallerNumberState.Requested) throw new AppProblem(CallerNumberErrors.NotAllowedNow);
        return await otp.StartPhoneProofAsync(OtpPurpose.CallerNumber, number.Number, number.Id, admin.AccountId, ip, ct);
    }

    public async Task<CallerNumber> ConfirmCodeAsync(Membership admin, Guid numberId, Guid challengeId, string? code, CancellationToken ct = default)
    {
        var number = await OwnAsync(admin, numberId, ct);
        var (_, tx) = await otp.ConsumeAsync(challengeId, code,
            c => c.Purpose == OtpPurpose.CallerNumber && c.SubjectId == number.Id && c.Phone == number.Number, ct);
        await using var _ = tx;
        number.Apply(CallerNumberEvent.CodeConfirmed, Now, admin.AccountId);
        audit.Add("caller_number.possession_proven", admin.AccountId, number.NumberDisplay, "sms", admin.BusinessId);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return number;
    }

    /// <summary>
    /// Stores an uploaded document after checking its size and, by content, its type. The name the
    /// file came with is kept only as a label; the file is stored under a generated name.
    /// </summary>
    public async Task<CallerNumberDocument> UploadAsync(Membership admin, Guid numberId, DocumentKind kind, IFormFile? file, CancellationToken ct = default)
    {
        var number = await OwnAsync(admin, numberId, ct);
        if (number.State is CallerNumberState.Deleted or CallerNumberState.Approved or CallerNumberState.InReview) throw new AppProblem(CallerNumberErrors.NotAllowedNow);
        if (!Enum.IsDefined(kind)) kind = DocumentKind.Other;
        if (file is null || file.Length == 0) throw new AppProblem(CallerNumberErrors.NoFile, "file");
        if (file.Length > MaxDocumentBytes) throw new AppProblem(CallerNumberErrors.TooLarge, "file");
        if (await db.CallerNumberDocuments.CountAsync(d => d.CallerNumberId == number.Id && d.PurgedAt == null, ct) >= options.Value.MaxDocumentsPerNumber)
            throw new AppProblem(CallerNumberErrors.TooManyDocuments);

        await using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, ct);
        var bytes = buffer.ToArray();
        var type = DocumentType.Detect(bytes.AsSpan(0, Math.Min(bytes.Length, 16))) ?? throw new AppProblem(CallerNumberErrors.WrongType, "file");
        var document = new CallerNumberDocument
        {
            CallerNumberId = number.Id, BusinessId = admin.BusinessId, Kind = kind,
            OriginalName = SafeLabel(file.FileName), StoredName = $"{Guid.NewGuid():N}.{type.Extension}", ContentType = type.ContentType,
            Size = bytes.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)), UploadedAt = Now, UploadedBy = admin.AccountId,
        };
        await store.SaveAsync(document.StoredName, new MemoryStream(bytes), ct);
        db.CallerNumberDocuments.Add(document);
        audit.Add("caller_number.document_uploaded", admin.AccountId, number.NumberDisplay, $"{kind} sha256={document.Sha256}", admin.BusinessId);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch
        {
            await store.DeleteAsync(document.StoredName, CancellationToken.None);
            throw;
        }
        return document;
    }

    /// <summary>심사 요청: needs the carrier's certificate among documents uploaded since the last decision.</summary>
    public async Task<CallerNumber> SubmitAsync(Membership admin, Guid numberId, CancellationToken ct = default)
    {
        var number = await OwnAsync(admin, numberId, ct);
        // A state that cannot be submitted says why before the documents are looked at.
        if (number.State is not (CallerNumberState.AwaitingDocuments or CallerNumberState.Rejected)) number.Apply(CallerNumberEvent.DocumentsSubmitted, Now);
        var since = number.DecidedAt ?? DateTime.MinValue;
        if (!await db.CallerNumberDocuments.AnyAsync(d => d.CallerNumberId == number.Id && d.Kind == DocumentKind.UsageCertificate && d.UploadedAt > since && d.PurgedAt == null, ct))
            throw new AppProblem(CallerNumberErrors.DocumentsMissing);
        number.Apply(CallerNumberEvent.DocumentsSubmitted, Now, admin.AccountId);
        audit.Add("caller_number.submitted", admin.AccountId, number.NumberDisplay, null, admin.BusinessId);
        await db.SaveChangesAsync(ct);
        return number;
    }

    /// <summary>
    /// Deletes the number. When it was the business default, the longest-approved other number takes its
    /// place, so members keep calling; the answer says whether the business still has a default.
    /// </summary>
    public async Task<DeletedCallerNumber> DeleteAsync(Membership admin, Guid numberId, CancellationToken ct = default)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var number = await OwnAsync(admin, numberId, ct);
        number.Apply(CallerNumberEvent.Deleted, Now, admin.AccountId);
        var successor = await db.CallerNumbers.AsNoTracking()
            .Where(n => n.BusinessId == admin.BusinessId && n.Id != number.Id && n.State == CallerNumberState.Approved)
            .OrderBy(n => n.DecidedAt).ThenBy(n => n.Id).FirstOrDefaultAsync(ct);
        var successorId = successor?.Id;
        // A deleted number stops being anyone's choice at once; a deleted default hands over to the successor.
        var wasDefault = await db.Businesses.Where(b => b.Id == admin.BusinessId && b.DefaultCallerNumberId == number.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.DefaultCallerNumberId, successorId), ct) == 1;
        await db.Members.Where(m => m.BusinessId == admin.BusinessId && m.CallerNumberId == number.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.CallerNumberId, (Guid?)null), ct);
        audit.Add("caller_number.deleted", admin.AccountId, number.NumberDisplay, null, admin.BusinessId);
        if (wasDefault && successor is not null)
            audit.Add("caller_number.default_set", admin.AccountId, successor.Id.ToString(), "after the default was deleted", admin.BusinessId);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new DeletedCallerNumber(wasDefault, wasDefault ? successor : null, successor is not null);
    }

    /// <summary>An operator approves or rejects; the business's admins get an SMS; the audit keeps the document hashes.</summary>
    public async Task<CallerNumber> DecideAsync(Guid operatorId, Guid numberId, bool approve, string? reason, CancellationToken ct = default)
    {
        var number = await db.CallerNumbers.SingleOrDefaultAsync(n => n.Id == numberId, ct) ?? throw new AppProblem(CallerNumberErrors.NotFound);
        if (approve) await EnsureNotApprovedElsewhereAsync(number.Number, number.BusinessId, ct);
        number.Apply(approve ? CallerNumberEvent.OperatorApproved : CallerNumberEvent.OperatorRejected, Now, operatorId, reason);
        var hashes = await db.CallerNumberDocuments.Where(d => d.CallerNumberId == number.Id).Select(d => d.Sha256).ToListAsync(ct);
        audit.Add(approve ? "caller_number.approved" : "caller_number.rejected", operatorId, number.NumberDisplay,
            $"{(approve ? "" : $"reason={reason?.Trim()}; ")}documents sha256={string.Join(",", hashes)}", number.BusinessId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        // The first approved number is the default at once, so members can call without an admin's
        // further step; an approved default stays (admins change it on the caller numbers page).
        var madeDefault = approve && await db.Businesses.IgnoreQueryFilters()
            .Where(b => b.Id == number.BusinessId && (b.DefaultCallerNumberId == null
                || !db.CallerNumbers.Any(n => n.Id == b.DefaultCallerNumberId && n.State == CallerNumberState.Approved)))
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.DefaultCallerNumberId, number.Id), ct) == 1;
        await tx.CommitAsync(ct);

        await members.TextAdminsAsync(number.BusinessId, approve
            ? $"[오이콜] 발신번호 {number.NumberDisplay} 승인되었습니다. {(madeDefault ? "기본 발신번호로 지정되어 " : "")}이제 통화에 쓸 수 있습니다."
            : $"[오이콜] 발신번호 {number.NumberDisplay} 반려: {number.RejectReason}. 앱에서 서류를 다시 올려주세요.", ct);
        return number;
    }

    /// <summary>The operator's queue: numbers in review, oldest submission first.</summary>
    public Task<List<CallerNumber>> ReviewQueueAsync(CancellationToken ct = default) =>
        db.CallerNumbers.AsNoTracking().Where(n => n.State == CallerNumberState.InReview).OrderBy(n => n.SubmittedAt).ToListAsync(ct);

    public async Task<CallerNumberView> ViewForOperatorAsync(Guid numberId, CancellationToken ct = default)
    {
        var businessId = await db.CallerNumbers.Where(n => n.Id == numberId).Select(n => (Guid?)n.BusinessId).SingleOrDefaultAsync(ct)
            ?? throw new AppProblem(CallerNumberErrors.NotFound);
        return await ViewAsync(businessId, numberId, ct);
    }

    /// <summary>
    /// A document uploaded by mistake is removed before review: its file and its row go (it may
    /// carry personal data), its hash stays in the audit log. Not while in review or once decided.
    /// </summary>
    public async Task RemoveDocumentAsync(Membership admin, Guid numberId, Guid documentId, CancellationToken ct = default)
    {
        var number = await OwnAsync(admin, numberId, ct);
        var document = await db.CallerNumberDocuments.SingleOrDefaultAsync(d => d.Id == documentId && d.CallerNumberId == number.Id && d.BusinessId == admin.BusinessId, ct)
            ?? throw new AppProblem(CallerNumberErrors.DocumentNotFound);
        if (number.State is not (CallerNumberState.Requested or CallerNumberState.AwaitingDocuments or CallerNumberState.Rejected))
            throw new AppProblem(CallerNumberErrors.NotAllowedNow);
        db.CallerNumberDocuments.Remove(document);
        audit.Add("caller_number.document_removed", admin.AccountId, number.NumberDisplay, $"{document.Kind} sha256={document.Sha256}", admin.BusinessId);
        await db.SaveChangesAsync(ct);
        await store.DeleteAsync(document.StoredName, ct);
    }

    /// <summary>A stored document for download; the caller has already been checked (business admin or operator).</summary>
    public async Task<(CallerNumberDocument Document, Stream Content)> OpenDocumentAsync(Guid businessId, Guid numberId, Guid documentId, CancellationToken ct = default)
    {
        var document = await db.CallerNumberDocuments.AsNoTracking()
            .SingleOrDefaultAsync(d => d.Id == documentId && d.CallerNumberId == numberId && d.BusinessId == businessId, ct)
            ?? throw new AppProblem(CallerNumberErrors.DocumentNotFound);
        if (document.PurgedAt is not null) throw new AppProblem(CallerNumberErrors.DocumentPurged);
        var content = await store.OpenAsync(document.StoredName, ct) ?? throw new AppProblem(CallerNumberErrors.DocumentPurged);
        return (document, content);
    }

    /// <summary>The business's default caller number: approved ones only, or none.</summary>
    public async Task SetDefaultAsync(Membership admin, Guid? numberId, CancellationToken ct = default)
    {
        MemberRules.RequireAdmin(admin);
        if (numberId is { } id) await ApprovedAsync(admin.BusinessId, id, ct);
        await db.Businesses.Where(b => b.Id == admin.BusinessId).ExecuteUpdateAsync(s => s.SetProperty(b => b.DefaultCallerNumberId, numberId), ct);
        audit.Add("caller_number.default_set", admin.AccountId, numberId?.ToString(), null, admin.BusinessId);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>A member's own caller number (approved only), or null to use the business default.</summary>
    public async Task SetForMemberAsync(Membership admin, Member member, Guid? numberId, CancellationToken ct = default)
    {
        MemberRules.RequireAdmin(admin);
        if (numberId is { } id) await ApprovedAsync(admin.BusinessId, id, ct);
        await db.Members.Where(m => m.Id == member.Id && m.BusinessId == admin.BusinessId).ExecuteUpdateAsync(s => s.SetProperty(m => m.CallerNumberId, numberId), ct);
        audit.Add("caller_number.member_set", admin.AccountId, member.Id.ToString(), numberId?.ToString(), admin.BusinessId);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// The number a member's call presents: their own choice if it is still approved, else the
    /// business default if approved, else none (the call plane refuses the call). The approval is
    /// checked here, at use, so a number deleted or no longer approved is never presented.
    /// </summary>
    public Task<bool> AnyApprovedAsync(Guid businessId, CancellationToken ct = default) =>
        db.CallerNumbers.AnyAsync(n => n.BusinessId == businessId && n.State == CallerNumberState.Approved, ct);

    public async Task<CallerNumber?> PresentedNumberAsync(Guid businessId, Guid memberId, CancellationToken ct = default)
    {
        // Call setup reads the same rule inside its one query (CallSetup.CallerQuery): keep them alike.
        var choice = await db.Members.Where(m => m.Id == memberId && m.BusinessId == businessId)
            .Select(m => new { Own = m.CallerNumberId, Default = db.Businesses.Where(b => b.Id == businessId).Select(b => b.DefaultCallerNumberId).FirstOrDefault() })
            .SingleOrDefaultAsync(ct);
        if (choice is null) return null;
        Guid?[] candidates = [choice.Own, choice.Default];
        foreach (var id in candidates.Where(id => id is not null))
            if (await db.CallerNumbers.AsNoTracking().SingleOrDefaultAsync(n => n.Id == id && n.BusinessId == businessId && n.State == CallerNumberState.Approved, ct) is { } approved)
                return approved;
        return null;
    }

    /// <summary>Deletes documents whose number was decided longer ago than the retention period; rows and hashes stay.</summary>
    public async Task<int> PurgeExpiredDocumentsAsync(CancellationToken ct = default)
    {
        var cutoff = Now.AddDays(-options.Value.DocumentRetentionDays);
        var due = await db.CallerNumberDocuments
            .Where(d => d.PurgedAt == null && db.CallerNumbers.Any(n => n.Id == d.CallerNumberId && n.DecidedAt != null && n.DecidedAt <= cutoff && d.UploadedAt <= n.DecidedAt))
            .ToListAsync(ct);
        foreach (var document in due)
        {
            await store.DeleteAsync(document.StoredName, ct);
            document.PurgedAt = Now;
        }
        if (due.Count > 0)
        {
            audit.Add("caller_number.documents_purged", null, null, $"{due.Count} documents, retention {options.Value.DocumentRetentionDays} days");
            await db.SaveChangesAsync(ct);
        }
        return due.Count;
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private async Task<CallerNumber> OwnAsync(Membership admin, Guid numberId, CancellationToken ct)
    {
        MemberRules.RequireAdmin(admin);
        return await db.CallerNumbers.SingleOrDefaultAsync(n => n.Id == numberId && n.BusinessId == admin.BusinessId, ct)
            ?? throw new AppProblem(CallerNumberErrors.NotFound);
    }

    private async Task ApprovedAsync(Guid businessId, Guid numberId, CancellationToken ct)
    {
        var state = await db.CallerNumbers.Where(n => n.Id == numberId && n.BusinessId == businessId).Select(n => (CallerNumberState?)n.State).SingleOrDefaultAsync(ct)
            ?? throw new AppProblem(CallerNumberErrors.NotFound, "callerNumberId");
        if (state != CallerNumberState.Approved) throw new AppProblem(CallerNumberErrors.NotApproved, "callerNumberId");
    }

    private async Task EnsureNotApprovedElsewhereAsync(string e164, Guid businessId, CancellationToken ct)
    {
        if (await db.CallerNumbers.AnyAsync(n => n.Number == e164 && n.BusinessId != businessId && n.State == CallerNumberState.Approved, ct))
            throw new AppProblem(CallerNumberErrors.TakenElsewhere, "number");
    }

    /// <summary>Valid Korean numbers of 8 to 11 national digits (1588-xxxx up to 010-xxxx-xxxx).</summary>
    public static KoreanNumber ValidNumber(string? typed)
    {
        var number = KoreanPhone.Parse(typed) ?? throw new AppProblem(CallerNumberErrors.InvalidNumber, "number");
        var digits = number.Display.Count(char.IsAsciiDigit);
        return digits is >= 8 and <= 11 ? number : throw new AppProblem(CallerNumberErrors.InvalidNumber, "number");
    }

    // A label for people: the file's own name without any folder, trimmed; never used as a path.
    private static string SafeLabel(string? fileName)
    {
        var name = Path.GetFileName((fileName ?? "").Replace('\\', '/')).Trim();
        name = new string(name.Where(c => !char.IsControl(c)).ToArray());
        return name.Length == 0 ? "document" : name.Length > 200 ? name[..200] : name;
    }
}
