using Microsoft.AspNetCore.Mvc;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Members;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Businesses;

public sealed record CreateBusinessRequest(string? Name, string? MainNumber);
public sealed record UpdateBusinessRequest(string? Name, string? MainNumber);
public sealed record SwitchBusinessRequest(Guid BusinessId);
public sealed record ConfirmCodeRequest(Guid ChallengeId, string? Code);
public sealed record MainNumberDecisionRequest(bool Approve, string? Reason);

public sealed record BusinessResponse(
    Guid Id, string Name, string MainNumber, string MainNumberDisplay, MainNumberState MainNumberState,
    string MainNumberStateLabel, string? MainNumberRejectReason, MemberRole MyRole, bool IsCurrent, int MemberCount);

public sealed record VerificationResponse(MainNumberState State, string StateLabel, Guid? ChallengeId, DateTime? ExpiresAt, string Message);
public sealed record DeletionResponse(int OtherMembers, long CallableSeconds, bool NeedConfirmation, string Message);

public static class BusinessesApi
{
    public static void MapBusinessesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Businesses").RequireAuthorization(ApiAuth.Policy);

        api.MapGet("/businesses", async (BusinessRules rules, HttpContext http, CancellationToken ct) =>
            TypedResults.Ok((await rules.ListAsync(http.User.AccountId(), ct)).Select(s => Response(s.Business, s.Role, s.IsCurrent, s.MemberCount))))
            .WithSummary("내 업체 관리: every business the account belongs to, with its role and which one is current.");

        api.MapPost("/businesses", async (CreateBusinessRequest body, BusinessRules rules, HttpContext http, CancellationToken ct) =>
        {
            var business = await rules.CreateAsync(http.User.AccountId(), body.Name, body.MainNumber, ct);
            return TypedResults.Created($"/api/v1/businesses/{business.Id}", Response(business, MemberRole.Admin, true, 1));
        }).WithSummary("내 업체 등록: the caller becomes its first admin and it becomes the current business.");

        api.MapPut("/me/current-business", async (SwitchBusinessRequest body, BusinessRules rules, HttpContext http, CancellationToken ct) =>
        {
            await rules.SwitchAsync(body.BusinessId, http.User, ct);
            return TypedResults.NoContent();
        }).WithSummary("Switch the current business; the choice survives a new login.");

        var business = app.MapBusinessGroup().WithTags("Businesses");

        business.MapGet("", async (Tenant tenant, BusinessRules rules, CancellationToken ct) =>
            TypedResults.Ok(await CurrentViewAsync(rules, tenant.Membership, ct)))
            .AllowAnyMember().WithSummary("One business the caller belongs to, with their role in it.");

        business.MapPatch("", async (UpdateBusinessRequest body, Tenant tenant, BusinessRules rules, CancellationToken ct) =>
        {
            await rules.UpdateAsync(tenant.Membership, body.Name, body.MainNumber, ct);
            return TypedResults.Ok(await CurrentViewAsync(rules, tenant.Membership, ct));
        }).WithSummary("Edit name or main number; a changed number must be verified again.");

        business.MapGet("/deletion", async (Tenant tenant, BusinessRules rules, CancellationToken ct) =>
            TypedResults.Ok(Deletion(await rules.DeletionConsequencesAsync(tenant.Membership, ct))))
            .WithSummary("What deleting the business would end (shown before confirming).");

        business.MapDelete("", async ([FromQuery] bool? confirm, Tenant tenant, BusinessRules rules, CancellationToken ct) =>
        {
            await rules.DeleteAsync(tenant.Membership, confirm == true, ct);
            return TypedResults.NoContent();
        }).WithSummary("Delete (soft). With members or call time left, it answers 409 deletion_needs_confirmation unless ?confirm=true.")
          .ProducesProblem(StatusCodes.Status409Conflict);

        business.MapPost("/main-number/verification", async (Tenant tenant, BusinessRules rules, HttpContext http, CancellationToken ct) =>
        {
            var admin = tenant.Membership;
            var sent = await rules.RequestMainNumberVerificationAsync(admin, ClientAddress.Of(http), ct);
            return TypedResults.Accepted((string?)null, new VerificationResponse(admin.Business.MainNumberState, admin.Business.MainNumberState.Label(),
                sent?.ChallengeId, sent?.ExpiresAt,
                sent is null
                    ? Text.Pick("운영자가 확인 후 인증합니다.", "An operator will check and verify the number.")
                    : Text.Pick("대표번호로 인증번호를 보냈습니다.", "A code has been sent to the main number.")));
        }).WithSummary("인증요청: a mobile main number gets an SMS code; any other number goes to an operator.");

        business.MapPost("/main-number/verification/confirm", async (ConfirmCodeRequest body, Tenant tenant, BusinessRules rules, CancellationToken ct) =>
        {
            var admin = tenant.Membership;
            await rules.ConfirmMainNumberAsync(admin, body.ChallengeId, body.Code, ct);
            return TypedResults.Ok(new VerificationResponse(admin.Business.MainNumberState, admin.Business.MainNumberState.Label(), null, null,
                Text.Pick("대표번호가 인증되었습니다.", "The main number has been verified.")));
        }).WithSummary("Confirm a mobile main number with the code it received.");

        var operatorApi = app.MapGroup("/api/v1/operator").WithTags("Operator").RequireAuthorization(ApiAuth.Policy).RequireOperator();
        operatorApi.MapPost("/businesses/{businessId:guid}/main-number/decision", async (Guid businessId, MainNumberDecisionRequest body, BusinessRules rules, HttpContext http, CancellationToken ct) =>
        {
            var decided = await rules.DecideMainNumberAsync(http.User.AccountId(), businessId, body.Approve, body.Reason, ct);
            return TypedResults.Ok(new VerificationResponse(decided.MainNumberState, decided.MainNumberState.Label(), null, null,
                body.Approve ? Text.Pick("인증완료", "Verified") : Text.Pick("반려", "Rejected")));
        }).WithSummary("Operator: approve or reject (with a reason) a main number awaiting verification.");
    }

    private static async Task<BusinessResponse> CurrentViewAsync(BusinessRules rules, Membership me, CancellationToken ct)
    {
        var summary = (await rules.ListAsync(me.AccountId, ct)).Single(s => s.Business.Id == me.BusinessId);
        return Response(summary.Business, summary.Role, summary.IsCurrent, summary.MemberCount);
    }

    public static BusinessResponse Response(Business b, MemberRole role, bool isCurrent, int memberCount) =>
        new(b.Id, b.Name, b.MainNumber, b.MainNumberDisplay, b.MainNumberState, b.MainNumberState.Label(), b.MainNumberRejectReason, role, isCurrent, memberCount);

    private static DeletionResponse Deletion(DeletionConsequences c) => new(c.OtherMembers, c.CallableSeconds, c.NeedConfirmation,
        c.NeedConfirmation
            ? Text.Pick($"삭제하면 멤버 {c.OtherMembers}명이 더 이상 이 업체로 통화할 수 없고, 남은 통화시간 {c.CallableSeconds / 60}분도 사용할 수 없습니다. 내역은 운영자가 보관합니다.",
                $"Deleting ends access for {c.OtherMembers} other member(s) and {c.CallableSeconds / 60} minute(s) of call time left. The operator keeps the history.")
            : Text.Pick("다른 멤버와 남은 통화시간이 없습니다.", "There are no other members and no call time left."));
}
