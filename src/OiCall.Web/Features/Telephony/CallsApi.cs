using Microsoft.AspNetCore.Http.HttpResults;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.Members;
using OiCall.Web.Features.Postpaid;

namespace OiCall.Web.Features.Telephony;

/// <summary>The members' side of calling: their SIP accounts, the call history, and who may call what.</summary>
public static class CallsApi
{
    /// <summary>Admins issue or reset a member's SIP password; members read their own settings.</summary>
    public static void MapSipAccountsApi(this IEndpointRouteBuilder app)
    {
        var member = app.MapBusinessGroup().MapGroup("/members/{memberId:guid}").WithTags("Calls");

        member.MapPost("/sip-password", async (Guid memberId, Tenant tenant, MemberRules rules, SipAccounts accounts, CancellationToken ct) =>
            TypedResults.Ok(await accounts.IssueAsync(tenant.Membership, await rules.GetAsync(tenant.Membership, memberId, ct), ct)))
            .WithSummary("Issue or reset the member's SIP password. It is in this answer only (with a provisioning URI for a QR code).");

        member.MapGet("/sip-settings", async Task<Results<Ok<SipSettings>, NotFound>> (Guid memberId, Tenant tenant, MemberRules rules, SipAccounts accounts, CancellationToken ct) =>
        {
            var found = await rules.GetAsync(tenant.Membership, memberId, ct);
            return await accounts.SettingsAsync(found.Id, ct) is { } settings ? TypedResults.Ok(settings) : TypedResults.NotFound();
        }).AllowAnyMember().WithSummary("The member's SIP settings (no password) for any standard SIP app.");
    }

    public static void MapCallHistoryApi(this IEndpointRouteBuilder app) =>
        app.MapBusinessGroup().MapGet("/calls", async (Guid? memberId, string? month, Tenant tenant, CallHistory history, TimeProvider clock, CancellationToken ct) =>
        {
            var period = string.IsNullOrEmpty(month) ? StatementMonth.Of(clock.GetUtcNow()) : StatementMonth.Parse(month);
            return TypedResults.Ok(await history.ListAsync(tenant.Membership, memberId, period, ct));
        }).WithTags("Calls").AllowAnyMember()
          .WithSummary("통화 내역 for a Korean month: admins see every member (or memberId), a member only their own. No dialled numbers unless the business opted in (last 4 digits).");

    /// <summary>The admins' record-keeping choice, and the operator's bars and suspension.</summary>
    public static void MapCallPolicyApi(this IEndpointRouteBuilder app)
    {
        app.MapBusinessGroup().MapPut("/call-privacy", async (CallPrivacyRequest body, Tenant tenant, CallPolicy policy, CancellationToken ct) =>
            TypedResults.Ok(CallPolicy.Response(await policy.SetPrivacyAsync(tenant.Membership, body.KeepDialledDigits, ct))))
            .WithTags("Calls")
            .WithSummary("Opt in (or out) to keeping the last four digits of dialled numbers in call records. Off by default.");

        app.MapPut("/api/v1/operator/businesses/{businessId:guid}/call-policy", async (Guid businessId, CallPolicyRequest body, CallPolicy policy, HttpContext http, CancellationToken ct) =>
            TypedResults.Ok(CallPolicy.Response(await policy.SetPolicyAsync(http.User.AccountId(), businessId, body, ct))))
            .WithTags("Operator").RequireAuthorization(ApiAuth.Policy).RequireOperator()
            .WithSummary("Operator: allow international or premium-rate destinations, or suspend a business's calls.");
    }
}
