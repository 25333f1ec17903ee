using System.Security.Cryptography;
using System.Text;
using OiCall.Web.Features.Inbound;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Telephony;

public sealed record AuthorizeCallRequest(string? CallId, string? Username, string? Dialled, string? Source = null);
public sealed record CallSliceRequest(string? CallId, int Slice);
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

        edge.MapPost("/calls/authorize", async (AuthorizeCallRequest body, CallSetup calls, CancellationToken ct) =>
            await calls.AuthorizeAsync(body.CallId, body.Username, body.Dialled, body.Source, ct));

        edge.MapPost("/calls/slice", async (CallSliceRequest body, CallSlices slices, CancellationToken ct) =>
            await slices.ExtendAsync(body.CallId, body.Slice, ct));

        edge.MapPost("/calls/end", async (CallEndRequest body, CallEnds calls, CancellationToken ct) =>
            new CallEndResponse(await calls.EndAsync(body.CallId, body.Answered, body.DurationSeconds, body.EndedBy, ct)));

        edge.MapInboundEdge();
    }

    /// <summary>The secret the project's Kamailio is started with (Secrets:edge, or data/secrets/edge.key).</summary>
    public static string EdgeSecret(ServerSecrets secrets) => Convert.ToHexStringLower(secrets.Get("edge"));
}
