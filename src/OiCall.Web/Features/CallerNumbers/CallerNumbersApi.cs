using Microsoft.AspNetCore.Http.HttpResults;
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
        var business = app.MapBusinessGroup();
        var api = business.MapGroup("/caller-numbers").WithTags("Caller numbers");

        api.MapGet("/", async (Guid businessId, Tenant tenant, CallerNumberRules rules, CancellationToken ct) =>
            TypedResults.Ok((await rules.ListAsync(businessId, ct)).Select(n => Response(n, [], tenant.Membership.Business.DefaultCallerNumberId))))
            .WithSummary("발신번호 사전 등록: the business's caller numbers and their states.");

        api.MapPost("/", async (Guid businessId, RegisterCallerNumberRequest body, Tenant tenant, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var (number, code) = await rules.RegisterAsync(tenant.Membership, body.Number, body.Name, ClientAddress.Of(http), ct);
            return TypedResults.Created($"/api/v1/businesses/{businessId}/caller-numbers/{number.Id}", Response(number, [], null) with { ChallengeId = code?.ChallengeId });
        }).WithSummary("인증요청: register a number with a name. A mobile number gets an SMS code (challengeId in the answer); every number then needs documents.");

        api.MapGet("/{numberId:guid}", async (Guid businessId, Guid numberId, Tenant tenant, CallerNumberRules rules, CancellationToken ct) =>
        {
            var view = await rules.ViewAsync(businessId, numberId, ct);
            return TypedResults.Ok(Response(view.Number, view.Documents, tenant.Membership.Business.DefaultCallerNumberId));
        }).WithSummary("A caller number with its documents.");

        api.MapPost("/{numberId:guid}/code", async (Guid numberId, Tenant tenant, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
            TypedResults.Accepted((string?)null, await rules.ResendCodeAsync(tenant.Membership, numberId, ClientAddress.Of(http), ct)))
            .WithSummary("Send the possession code again (mobile numbers in 등록요청).");

        api.MapPost("/{numberId:guid}/code/confirm", async (Guid numberId, ConfirmCallerNumberRequest body, Tenant tenant, CallerNumberRules rules, CancellationToken ct) =>
        {
            var admin = tenant.Membership;
            return TypedResults.Ok(Response(await rules.ConfirmCodeAsync(admin, numberId, body.ChallengeId, body.Code, ct), [], admin.Business.DefaultCallerNumberId));
        }).WithSummary("Prove possession of a mobile number with its code → 서류대기.");

        api.MapPost("/{numberId:guid}/documents", async (Guid businessId, Guid numberId, IFormFile? file, [FromForm] DocumentKind? kind,
            Tenant tenant, CallerNumberRules rules, CancellationToken ct) =>
        {
            var document = await rules.UploadAsync(tenant.Membership, numberId, kind ?? DocumentKind.UsageCertificate, file, ct);
            return TypedResults.Created($"/api/v1/businesses/{businessId}/caller-numbers/{numberId}/documents/{document.Id}", Response(document));
        }).DisableAntiforgery().WithMetadata(new RequestSizeLimitAttribute(CallerNumberRules.MaxDocumentBytes + 64 * 1024))
          .WithSummary("Upload a document (multipart 'file', optional 'kind'): PDF, JPEG or PNG by content, up to 10 MB.");

        api.MapGet("/{numberId:guid}/documents/{documentId:guid}", async (Guid businessId, Guid numberId, Guid documentId, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
            await DownloadAsync(rules, businessId, numberId, documentId, http, ct))
            .Produces<Stream>(StatusCodes.Status200OK, "application/pdf", "image/jpeg", "image/png")
            .WithSummary("Download a document (always as an attachment).");

        api.MapPost("/{numberId:guid}/submission", async (Guid numberId, Tenant tenant, CallerNumberRules rules, CancellationToken ct) =>
        {
            var admin = tenant.Membership;
            return TypedResults.Ok(Response(await rules.SubmitAsync(admin, numberId, ct), [], admin.Business.DefaultCallerNumberId));
        }).WithSummary("심사 요청: send the documents to review → 심사중.");

        api.MapDelete("/{numberId:guid}", async (Guid numberId, Tenant tenant, CallerNumberRules rules, CancellationToken ct) =>
        {
            await rules.DeleteAsync(tenant.Membership, numberId, ct);
            return TypedResults.NoContent();
        }).WithSummary("삭제: the number is never presented again; its history stays.");

        api.MapPut("/default", async (ChooseCallerNumberRequest body, Tenant tenant, CallerNumberRules rules, CancellationToken ct) =>
        {
            await rules.SetDefaultAsync(tenant.Membership, body.CallerNumberId, ct);
            return TypedResults.NoContent();
        }).WithSummary("The business's default caller number (approved only; null clears it).");

        var members = business.MapGroup("/members/{memberId:guid}").WithTags("Caller numbers");
        members.MapPut("/caller-number", async (Guid memberId, ChooseCallerNumberRequest body, Tenant tenant, MemberRules memberRules, CallerNumberRules rules, CancellationToken ct) =>
        {
            var admin = tenant.Membership;
            await rules.SetForMemberAsync(admin, await memberRules.GetAsync(admin, memberId, ct), body.CallerNumberId, ct);
            return TypedResults.NoContent();
        }).WithSummary("A member's own caller number (approved only; null → the business default).");

        members.MapGet("/caller-number", async (Guid businessId, Guid memberId, Tenant tenant, MemberRules memberRules, CallerNumberRules rules, CancellationToken ct) =>
        {
            var member = await memberRules.GetAsync(tenant.Membership, memberId, ct);
            var presented = await rules.PresentedNumberAsync(businessId, member.Id, ct);
            return TypedResults.Ok(new PresentedNumberResponse(presented?.Id, presented?.Number, presented?.NumberDisplay));
        }).AllowAnyMember().WithSummary("The number this member's calls present (approved only), or none.");

        var operatorApi = app.MapGroup("/api/v1/operator").WithTags("Operator").RequireAuthorization(ApiAuth.Policy).RequireOperator();

        operatorApi.MapGet("/review-queue", async (CallerNumberRules rules, BusinessRules businesses, CancellationToken ct) =>
        {
            var numbers = (await rules.ReviewQueueAsync(ct)).Select(n => Response(n, [], null)).ToList();
            var mainNumbers = await businesses.MainNumbersAwaitingOperatorAsync(ct);
            return TypedResults.Ok(new ReviewQueueResponse(numbers, [.. mainNumbers.Select(b => new MainNumberReviewResponse(b.Id, b.Name, b.MainNumberDisplay))]));
        }).WithSummary("Operator: caller numbers in review (oldest first) and main numbers waiting for a decision.");

        operatorApi.MapGet("/caller-numbers/{numberId:guid}", async (Guid numberId, CallerNumberRules rules, CancellationToken ct) =>
        {
            var view = await rules.ViewForOperatorAsync(numberId, ct);
            return TypedResults.Ok(Response(view.Number, view.Documents, null));
        }).WithSummary("Operator: a caller number with its documents.");

        operatorApi.MapGet("/caller-numbers/{numberId:guid}/documents/{documentId:guid}", async (Guid numberId, Guid documentId, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var view = await rules.ViewForOperatorAsync(numberId, ct);
            return await DownloadAsync(rules, view.Number.BusinessId, numberId, documentId, http, ct);
        }).WithSummary("Operator: download a document.");

        operatorApi.MapPost("/caller-numbers/{numberId:guid}/decision", async (Guid numberId, CallerNumberDecisionRequest body, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var number = await rules.DecideAsync(http.User.AccountId(), numberId, body.Approve, body.Reason, ct);
            return TypedResults.Ok(Response(number, [], null));
        }).WithSummary("Operator: approve, or reject with a reason; the business's admins get an SMS.");
    }

    /// <summary>The web app's upload form and document links (cookie sessions, antiforgery on the form).</summary>
    public static void MapCallerNumberDocumentUploadAndDownload(this IEndpointRouteBuilder app)
    {
        app.MapPost("/caller-numbers/{numberId:guid}/documents", async Task<Results<RedirectHttpResult, NotFound>> (Guid numberId, IFormFile? file, [FromForm] DocumentKind? kind,
            BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            var current = await access.CurrentAsync(http.User, ct);
            if (current is not { Me.IsAdmin: true }) return TypedResults.NotFound();
            try
            {
                await rules.UploadAsync(current, numberId, kind ?? DocumentKind.UsageCertificate, file, ct);
                return TypedResults.Redirect(Components.Flash.To($"/caller-numbers/{numberId}", "document-uploaded"));
            }
            catch (AppProblem e) when (e.Error.Status != 404)
            {
                return TypedResults.Redirect($"/caller-numbers/{numberId}?err={e.Error.Code}");
            }
        }).RequireAuthorization().ExcludeFromDescription().WithMetadata(new RequestSizeLimitAttribute(CallerNumberRules.MaxDocumentBytes + 64 * 1024));

        app.MapGet("/caller-numbers/{numberId:guid}/documents/{documentId:guid}", async Task<Results<FileStreamHttpResult, NotFound>> (Guid numberId, Guid documentId,
            BusinessAccess access, CallerNumberRules rules, HttpContext http, CancellationToken ct) =>
        {
            if (http.User.IsInRole(Claims.OperatorRole))
                return await DownloadAsync(rules, (await rules.ViewForOperatorAsync(numberId, ct)).Number.BusinessId, numberId, documentId, http, ct);
            var current = await access.CurrentAsync(http.User, ct);
            if (current is not { Me.IsAdmin: true }) return TypedResults.NotFound();
            return await DownloadAsync(rules, current.BusinessId, numberId, documentId, http, ct);
        }).RequireAuthorization().ExcludeFromDescription();
    }

    /// <summary>Documents are only ever attachments, with sniffing off, so a crafted file cannot run in the app's origin.</summary>
    public static async Task<FileStreamHttpResult> DownloadAsync(CallerNumberRules rules, Guid businessId, Guid numberId, Guid documentId, HttpContext http, CancellationToken ct)
    {
        var (document, content) = await rules.OpenDocumentAsync(businessId, numberId, documentId, ct);
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.File(content, document.ContentType, document.OriginalName);
    }

    private static CallerNumberResponse Response(CallerNumber n, IReadOnlyList<CallerNumberDocument> documents, Guid? defaultId) =>
        new(n.Id, n.BusinessId, n.Number, n.NumberDisplay, n.Name, n.State, n.State.Label(), n.State.NextStep(), n.RejectReason, n.Id == defaultId,
            documents.Select(Response).ToList());

    private static DocumentResponse Response(CallerNumberDocument d) =>
        new(d.Id, d.Kind, d.Kind.Label(), d.OriginalName, d.ContentType, d.Size, d.Sha256, d.UploadedAt, d.PurgedAt is not null);
}
