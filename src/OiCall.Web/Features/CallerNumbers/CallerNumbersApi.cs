using Microsoft.AspNetCore.Mvc;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.Members;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.CallerNumbers;

public sealed record RegisterCallerNumberRequest(string? Number, string? Name);
public sealed record ConfirmCallerNumberRequest(Guid ChallengeId, string? Code);
public sealed record CallerNumberDecisionRequest(bool Approve, string? Reason);
public sealed record ChooseCallerNumberRequest(Guid? CallerNumberId);
public sealed record DocumentResponse(Guid Id, DocumentKind Kind, string KindLabel, string OriginalName, string ContentType, long Size, string Sha256, DateTime UploadedAt, bool Purged);
public sealed record CallerNumberResponse(Guid Id, Guid BusinessId, string Number, string NumberDisplay, string Name, CallerNumberState State, string StateLabel,
    string NextStep, string? RejectReason, bool IsDefault, IReadOnlyList<DocumentResponse> Documents, Guid? ChallengeId = null);
public sealed record MainNumberReviewResponse(Guid BusinessId, string BusinessName, string MainNumberDisplay);
public sealed record ReviewQueueResponse(IReadOnlyList<CallerNumberResponse> CallerNumbers, IReadOnlyList<MainNumberReviewResponse> MainNumbers);
public sealed record PresentedNumberResponse(Guid? CallerNumberId, string? Number, string? NumberDisplay);

public static class CallerNumbersApi
{
    public static void MapCallerNumbersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/businesses/{businessId:guid}/caller-numbers").WithTags("Caller numbers").RequireAuthorization(ApiAuth.Policy);

        api.MapGet("/", async (Guid businessId, BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var admin = await access.AdminAsync(businessId, http.User, ct);
            return (await rules.ListAsync(businessId, ct)).Select(n => Response(n, [], admin.Business.DefaultCallerNumberId));
        }).WithSummary("발신번호 사전 등록: the business's caller numbers and their states.");

        api.MapPost("/", async (Guid businessId, RegisterCallerNumberRequest body, BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var admin = await access.AdminAsync(businessId, http.User, ct);
            var (number, code) = await rules.RegisterAsync(admin, body.Number, body.Name, ClientAddress.Of(http), ct);
            return TypedResults.Created($"/api/v1/businesses/{businessId}/caller-numbers/{number.Id}", Response(number, [], null) with { ChallengeId = code?.ChallengeId });
        }).WithSummary("인증요청: register a number with a name. A mobile number gets an SMS code (challengeId in the answer); every number then needs documents.");

        api.MapGet("/{numberId:guid}", async (Guid businessId, Guid numberId, BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var admin = await access.AdminAsync(businessId, http.User, ct);
            var view = await rules.ViewAsync(businessId, numberId, ct);
            return Response(view.Number, view.Documents, admin.Business.DefaultCallerNumberId);
        });

        api.MapPost("/{numberId:guid}/code", async (Guid businessId, Guid numberId, BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var sent = await rules.ResendCodeAsync(await access.AdminAsync(businessId, http.User, ct), numberId, ClientAddress.Of(http), ct);
            return TypedResults.Accepted((string?)null, sent);
        }).WithSummary("Send the possession code again (mobile numbers in 등록요청).");

        api.MapPost("/{numberId:guid}/code/confirm", async (Guid businessId, Guid numberId, ConfirmCallerNumberRequest body, BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var admin = await access.AdminAsync(businessId, http.User, ct);
            return Response(await rules.ConfirmCodeAsync(admin, numberId, body.ChallengeId, body.Code, ct), [], admin.Business.DefaultCallerNumberId);
        }).WithSummary("Prove possession of a mobile number with its code → 서류대기.");

        api.MapPost("/{numberId:guid}/documents", async (Guid businessId, Guid numberId, IFormFile? file, [FromForm] DocumentKind? kind,
            BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var document = await rules.UploadAsync(await access.AdminAsync(businessId, http.User, ct), numberId, kind ?? DocumentKind.UsageCertificate, file, ct);
            return TypedResults.Created($"/api/v1/businesses/{businessId}/caller-numbers/{numberId}/documents/{document.Id}", Response(document));
        }).DisableAntiforgery().WithMetadata(CallerNumberRules.DocumentUploadLimit())
          .WithSummary("Upload a document (multipart 'file', optional 'kind'): PDF, JPEG or PNG by content, up to 10 MB (413 document_too_large).");

        api.MapDelete("/{numberId:guid}/documents/{documentId:guid}", async (Guid businessId, Guid numberId, Guid documentId, BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            await rules.RemoveDocumentAsync(await access.AdminAsync(businessId, http.User, ct), numberId, documentId, ct);
            return TypedResults.NoContent();
        }).WithSummary("Remove a document uploaded by mistake, before review (409 while in review or after approval).");

        api.MapGet("/{numberId:guid}/documents/{documentId:guid}", async (Guid businessId, Guid numberId, Guid documentId, BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            await access.AdminAsync(businessId, http.User, ct);
            return await DownloadAsync(rules, businessId, numberId, documentId, http, ct);
        }).WithSummary("Download a document (always as an attachment).");

        api.MapPost("/{numberId:guid}/submission", async (Guid businessId, Guid numberId, BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var admin = await access.AdminAsync(businessId, http.User, ct);
            return Response(await rules.SubmitAsync(admin, numberId, ct), [], admin.Business.DefaultCallerNumberId);
        }).WithSummary("심사 요청: send the documents to review → 심사중.");

        api.MapDelete("/{numberId:guid}", async (Guid businessId, Guid numberId, BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            await rules.DeleteAsync(await access.AdminAsync(businessId, http.User, ct), numberId, ct);
            return TypedResults.NoContent();
        }).WithSummary("삭제: the number is never presented again; its history stays.");

        api.MapPut("/default", async (Guid businessId, ChooseCallerNumberRequest body, BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            await rules.SetDefaultAsync(await access.AdminAsync(businessId, http.User, ct), body.CallerNumberId, ct);
            return TypedResults.NoContent();
        }).WithSummary("The business's default caller number (approved only; null clears it).");

        var members = app.MapGroup("/api/v1/businesses/{businessId:guid}/members/{memberId:guid}").WithTags("Caller numbers").RequireAuthorization(ApiAuth.Policy);
        members.MapPut("/caller-number", async (Guid businessId, Guid memberId, ChooseCallerNumberRequest body, BusinessAccess access, MemberRules memberRules, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var admin = await access.AdminAsync(businessId, http.User, ct);
            await rules.SetForMemberAsync(admin, await memberRules.GetAsync(admin, memberId, ct), body.CallerNumberId, ct);
            return TypedResults.NoContent();
        }).WithSummary("A member's own caller number (approved only; null → the business default).");

        members.MapGet("/caller-number", async (Guid businessId, Guid memberId, BusinessAccess access, MemberRules memberRules, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var member = await memberRules.GetAsync(await access.MemberAsync(businessId, http.User, ct), memberId, ct);
            var presented = await rules.PresentedNumberAsync(businessId, member.Id, ct);
            return new PresentedNumberResponse(presented?.Id, presented?.Number, presented?.NumberDisplay);
        }).WithSummary("The number this member's calls present (approved only), or none.");

        var operatorApi = app.MapGroup("/api/v1/operator").WithTags("Operator").RequireAuthorization(ApiAuth.Policy).RequireOperator();

        operatorApi.MapGet("/review-queue", async (CallerNumberRules rules, Data.AppDbContext db, CancellationToken ct) =>
        {
            var numbers = (await rules.ReviewQueueAsync(ct)).Select(n => Response(n, [], null)).ToList();
            var mainNumbers = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
                db.Businesses.Where(b => b.MainNumberState == MainNumberState.Requested).OrderBy(b => b.CreatedAt), ct);
            return new ReviewQueueResponse(numbers, mainNumbers.Where(b => !b.MainNumberIsMobile)
                .Select(b => new MainNumberReviewResponse(b.Id, b.Name, b.MainNumberDisplay)).ToList());
        }).WithSummary("Operator: caller numbers in review (oldest first) and main numbers waiting for a decision.");

        operatorApi.MapGet("/caller-numbers/{numberId:guid}", async (Guid numberId, CallerNumberRules rules, CancellationToken ct) =>
        {
            var view = await rules.ViewForOperatorAsync(numberId, ct);
            return Response(view.Number, view.Documents, null);
        }).WithSummary("Operator: a caller number with its documents.");

        operatorApi.MapGet("/caller-numbers/{numberId:guid}/documents/{documentId:guid}", async (Guid numberId, Guid documentId, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var view = await rules.ViewForOperatorAsync(numberId, ct);
            return await DownloadAsync(rules, view.Number.BusinessId, numberId, documentId, http, ct);
        }).WithSummary("Operator: download a document.");

        operatorApi.MapPost("/caller-numbers/{numberId:guid}/decision", async (Guid numberId, CallerNumberDecisionRequest body, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var number = await rules.DecideAsync(http.User.AccountId(), numberId, body.Approve, body.Reason, ct);
            return Response(number, [], null);
        }).WithSummary("Operator: approve, or reject with a reason; the business's admins get an SMS.");
    }

    /// <summary>The web app's upload form and document links (cookie sessions, antiforgery on the form).</summary>
    public static void MapCallerNumberWebEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/caller-numbers/{numberId:guid}/documents", async (Guid numberId, IFormFile? file, [FromForm] DocumentKind? kind,
            BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var current = await access.CurrentAsync(http.User, ct);
            if (current is not { Me.IsAdmin: true }) return Results.NotFound();
            try
            {
                await rules.UploadAsync(current, numberId, kind ?? DocumentKind.UsageCertificate, file, ct);
                return Results.Redirect(Components.Flash.To($"/caller-numbers/{numberId}", "document-uploaded"));
            }
            catch (AppProblem e) when (e.Error.Status != 404)
            {
                return Results.Redirect($"/caller-numbers/{numberId}?err={e.Error.Code}");
            }
        }).RequireAuthorization().ExcludeFromDescription()
          .WithMetadata(CallerNumberRules.DocumentUploadLimit(http => $"/caller-numbers/{http.Request.RouteValues["numberId"]}"));

        app.MapGet("/caller-numbers/{numberId:guid}/documents/{documentId:guid}", async (Guid numberId, Guid documentId,
            BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            if (http.User.IsInRole(Claims.OperatorRole))
                return await DownloadAsync(rules, (await rules.ViewForOperatorAsync(numberId, ct)).Number.BusinessId, numberId, documentId, http, ct);
            var current = await access.CurrentAsync(http.User, ct);
            if (current is not { Me.IsAdmin: true }) return Results.NotFound();
            return await DownloadAsync(rules, current.BusinessId, numberId, documentId, http, ct);
        }).RequireAuthorization().ExcludeFromDescription();
    }

    /// <summary>Documents are only ever attachments, with sniffing off, so a crafted file cannot run in the app's origin.</summary>
    public static async Task<IResult> DownloadAsync(CallerNumberRules rules, Guid businessId, Guid numberId, Guid documentId, HttpContext http, CancellationToken ct)
    {
        var (document, content) = await rules.OpenDocumentAsync(businessId, numberId, documentId, ct);
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.CacheControl = "no-store";
        return Results.File(content, document.ContentType, document.OriginalName);
    }

    private static CallerNumberResponse Response(CallerNumber n, IReadOnlyList<CallerNumberDocument> documents, Guid? defaultId) =>
        new(n.Id, n.BusinessId, n.Number, n.NumberDisplay, n.Name, n.State, n.State.Label(), n.State.NextStep(), n.RejectReason, n.Id == defaultId,
            documents.Select(Response).ToList());

    private static DocumentResponse Response(CallerNumberDocument d) =>
        new(d.Id, d.Kind, d.Kind.Label(), d.OriginalName, d.ContentType, d.Size, d.Sha256, d.UploadedAt, d.PurgedAt is not null);
}
