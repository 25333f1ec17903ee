using System.Security.Cryptography;
using System.Text;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.Inbound;
using OiCall.Web.Features.Members;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Telephony;

public sealed record AuthorizeCallRequest(string? CallId, string? Username, string? Dialled, string? Source = null);
public sealed record CallEndRequest(string? CallId, bool Answered, long DurationSeconds, string? EndedBy);
public sealed record CallEndResponse(bool Settled);
public sealed record Ha1Response(string Ha1);

public static class TelephonyApi
{
    public const string SecretHeader = "X-Edge-Secret";

    /// <summary>The edge's endpoints: not public, kept out of the OpenAPI document, each request carrying the shared secret.</summary>
    public static void MapTelephonyApi(this IEndpointRouteBuilder app)
    {
        var edge = app.MapGroup("/telephony/v1").ExcludeFromDescription()
            .AddEndpointFilter(async (context, next) =>
            {
                var secrets = context.HttpContext.RequestServices.GetRequiredService<ServerSecrets>();
                var sent = Encoding.UTF8.GetBytes(context.HttpContext.Request.Headers[SecretHeader].ToString());
                var expected = Encoding.UTF8.GetBytes(EdgeSecret(secrets));
                if (!CryptographicOperations.FixedTimeEquals(sent, expected)) throw new AppProblem(TelephonyErrors.EdgeOnly);
                return await next(context);
            });

        edge.MapGet("/credentials/{username}", async (string username, SipAccounts accounts, CancellationToken ct) =>
            await accounts.Ha1Async(username, ct) is { } ha1 ? Results.Ok(new Ha1Response(ha1)) : Results.NotFound());

        edge.MapPost("/calls/authorize", async (AuthorizeCallRequest body, CallAuthorization calls, CancellationToken ct) =>
            await calls.AuthorizeAsync(body.CallId, body.Username, body.Dialled, body.Source, ct));

        edge.MapPost("/calls/end", async (CallEndRequest body, CallAuthorization calls, CancellationToken ct) =>
            new CallEndResponse(await calls.EndAsync(body.CallId, body.Answered, body.DurationSeconds, body.EndedBy, ct)));

        edge.MapInboundEdge();
    }

    /// <summary>The secret the project's Kamailio is started with (Secrets:edge, or data/secrets/edge.key).</summary>
    public static string EdgeSecret(ServerSecrets secrets) => Convert.ToHexStringLower(secrets.Get("edge"));

    /// <summary>Admins issue or reset a member's SIP password; members read their own settings.</summary>
    public static void MapSipSettingsApi(this IEndpointRouteBuilder app)
    {
        var members = app.MapGroup("/api/v1/businesses/{businessId:guid}/members/{memberId:guid}").WithTags("Calls").RequireAuthorization(ApiAuth.Policy);

        members.MapPost("/sip-password", async (Guid businessId, Guid memberId, BusinessAccess access, MemberRules rules, SipAccounts accounts, HttpContext http, CancellationToken ct) =>
        {
            var admin = await access.AdminAsync(businessId, http.User, ct);
            return await accounts.IssueAsync(admin, await rules.GetAsync(admin, memberId, ct), ct);
        }).WithSummary("Issue or reset the member's SIP password. It is in this answer only (with a provisioning URI for a QR code).");

        app.MapGet("/api/v1/businesses/{businessId:guid}/calls", async (Guid businessId, Guid? memberId, string? month, BusinessAccess access, CallHistory history, TimeProvider clock, HttpContext http, CancellationToken ct) =>
        {
            var me = await access.MemberAsync(businessId, http.User, ct);
            var period = string.IsNullOrEmpty(month) ? Postpaid.StatementMonth.Of(clock.GetUtcNow()) : Postpaid.StatementMonth.Parse(month);
            return await history.ListAsync(me, memberId, period, ct);
        }).WithTags("Calls").RequireAuthorization(ApiAuth.Policy)
          .WithSummary("통화 내역 for a Korean month: admins see every member (or memberId), a member only their own. No dialled numbers unless the business opted in (last 4 digits).");

        app.MapPut("/api/v1/businesses/{businessId:guid}/call-privacy", async (Guid businessId, CallPrivacyRequest body, BusinessAccess access, CallPolicy policy, HttpContext http, CancellationToken ct) =>
            CallPolicy.Response(await policy.SetPrivacyAsync(await access.AdminAsync(businessId, http.User, ct), body.KeepDialledDigits, ct)))
            .WithTags("Calls").RequireAuthorization(ApiAuth.Policy)
            .WithSummary("Opt in (or out) to keeping the last four digits of dialled numbers in call records. Off by default.");

        app.MapPut("/api/v1/operator/businesses/{businessId:guid}/call-policy", async (Guid businessId, CallPolicyRequest body, CallPolicy policy, HttpContext http, CancellationToken ct) =>
            CallPolicy.Response(await policy.SetPolicyAsync(http.User.AccountId(), businessId, body, ct)))
            .WithTags("Operator").RequireAuthorization(ApiAuth.Policy).RequireOperator()
            .WithSummary("Operator: allow international or premium-rate destinations, or suspend a business's calls.");

        members.MapGet("/sip-settings", async (Guid businessId, Guid memberId, BusinessAccess access, MemberRules rules, SipAccounts accounts, HttpContext http, CancellationToken ct) =>
        {
            var member = await rules.GetAsync(await access.MemberAsync(businessId, http.User, ct), memberId, ct);
            return await accounts.SettingsAsync(member.Id, ct) is { } settings ? Results.Ok(settings) : Results.NotFound();
        }).WithSummary("The member's SIP settings (no password) for any standard SIP app.");
    }
}
