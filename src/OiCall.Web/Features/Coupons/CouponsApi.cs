using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Coupons;

public sealed record ChargeRequest(string? Code);
/// <summary>Outcome: "charged", or "already_charged_here" when this business used the coupon before (nothing added; the first charge's figures).</summary>
public sealed record ChargeResponse(long Seconds, long CallableSeconds, DateTime ChargedAt, string Message, string Outcome);
public sealed record IssueBatchRequest(int Count, long MinutesEach, DateTime ExpiresAt, string? Memo);
public sealed record IssuedBatchResponse(Guid BatchId, int Count, long MinutesEach, DateTime ExpiresAt, IReadOnlyList<string> Codes);

public static class CouponsApi
{
    public static void MapCouponsApi(this IEndpointRouteBuilder app)
    {
        app.MapBusinessGroup().MapPost("/charges", async (ChargeRequest body, Tenant tenant, CouponRules coupons, HttpContext http, CancellationToken ct) =>
            TypedResults.Ok(Response(await coupons.RedeemAsync(tenant.Membership, body.Code, ClientAddress.Of(http), ct))))
          .WithTags("Call time")
          .WithSummary("충전: redeem a coupon number. Forgiving typing; a retry by the same business returns the first answer with outcome already_charged_here.");

        app.MapPost("/api/v1/operator/coupon-batches", async (IssueBatchRequest body, CouponRules coupons, HttpContext http, CancellationToken ct) =>
        {
            var issued = await coupons.IssueBatchAsync(http.User.AccountId(), body.Count, body.MinutesEach, body.ExpiresAt.ToUniversalTime(), body.Memo, ct);
            return TypedResults.Ok(new IssuedBatchResponse(issued.Batch.Id, issued.Batch.Count, body.MinutesEach, issued.Batch.ExpiresAt, issued.Codes));
        }).WithTags("Operator").RequireAuthorization(ApiAuth.Policy).RequireOperator()
          .WithSummary("Operator: issue a coupon batch. The codes are in this answer only; they are stored as keyed hashes.");
    }

    public static ChargeResponse Response(ChargeResult r) => new(r.Seconds, r.CallableSecondsAfter, r.ChargedAt, r.Message, r.Outcome);
}
