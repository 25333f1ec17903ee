using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Businesses;

namespace OiCall.Web.Features.Inbound;

public sealed record InboundEndResponse(bool Recorded);

public static class InboundApi
{
    /// <summary>착신 설정 for admins (members may read it).</summary>
    public static void MapInboundApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/businesses/{businessId:guid}/ring-group").WithTags("Calls").RequireAuthorization(ApiAuth.Policy);

        group.MapGet("", async (Guid businessId, BusinessAccess access, RingGroups groups, HttpContext http, CancellationToken ct) =>
            await groups.GetAsync(await access.MemberAsync(businessId, http.User, ct), ct))
            .WithSummary("Who answers calls to the company number: ringAll (every phone at once) or hunt (in order), ringing seconds, the members in order.");

        group.MapPut("", async (Guid businessId, RingGroupRequest body, BusinessAccess access, RingGroups groups, HttpContext http, CancellationToken ct) =>
            await groups.SetAsync(await access.AdminAsync(businessId, http.User, ct), body, ct))
            .WithSummary("Admins: set the mode, the ringing seconds (5–120) and the members in ringing order.");
    }

    /// <summary>The edge's side of incoming calls; mapped into the secret-guarded /telephony/v1 group.</summary>
    public static void MapInboundEdge(this RouteGroupBuilder edge)
    {
        edge.MapPost("/calls/inbound", async (InboundCallRequest body, InboundCalls calls, CancellationToken ct) =>
            await calls.RouteAsync(body.CallId, body.Dialled, body.From, ct));

        edge.MapPost("/calls/inbound/end", async (InboundEndRequest body, InboundCalls calls, CancellationToken ct) =>
            new InboundEndResponse(await calls.EndAsync(body.CallId, body.AnsweredBy, body.DurationSeconds, body.EndedBy, ct)));
    }
}
