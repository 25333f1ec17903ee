using OiCall.Web.Features.Businesses;

namespace OiCall.Web.Features.Inbound;

public sealed record InboundEndResponse(bool Recorded);

public static class InboundApi
{
    /// <summary>착신 설정 for admins (members may read it).</summary>
    public static void MapRingGroupApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapBusinessGroup().MapGroup("/ring-group").WithTags("Calls");

        group.MapGet("", async (Tenant tenant, RingGroups groups, CancellationToken ct) =>
            TypedResults.Ok(await groups.GetAsync(tenant.Membership, ct)))
            .AllowAnyMember().WithSummary("Who answers calls to the company number: ringAll (every phone at once) or hunt (in order), ringing seconds, the members in order.");

        group.MapPut("", async (RingGroupRequest body, Tenant tenant, RingGroups groups, CancellationToken ct) =>
            TypedResults.Ok(await groups.SetAsync(tenant.Membership, body, ct)))
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
