using System.Text;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Coupons;

public sealed record ChargeRequest(string? Code);
public sealed record ChargeResponse(long Seconds, long CallableSeconds, DateTime ChargedAt, string Message);
public sealed record IssueBatchRequest(int Count, long MinutesEach, DateTime ExpiresAt, string? Memo);
public sealed record IssuedBatchResponse(Guid BatchId, int Count, long MinutesEach, DateTime ExpiresAt, IReadOnlyList<string> Codes);

public static class CouponsApi
{
    public static void MapCouponsApi(this IEndpointRouteBuilder app)
    {
        app.MapBusinessGroup().MapPost("/charges", async (ChargeRequest body, Tenant tenant, CouponRules coupons, HttpContext http, CancellationToken ct) =>
            TypedResults.Ok(Response(await coupons.RedeemAsync(tenant.Membership, body.Code, ClientAddress.Of(http), ct))))
          .WithTags("Call time")
          .WithSummary("충전: redeem a coupon number. Forgiving typing; a retry by the same business returns the first answer.");

        app.MapPost("/api/v1/operator/coupon-batches", async (IssueBatchRequest body, CouponRules coupons, HttpContext http, CancellationToken ct) =>
        {
            var issued = await coupons.IssueBatchAsync(http.User.AccountId(), body.Count, body.MinutesEach, body.ExpiresAt.ToUniversalTime(), body.Memo, ct);
            return TypedResults.Ok(new IssuedBatchResponse(issued.Batch.Id, issued.Batch.Count, body.MinutesEach, issued.Batch.ExpiresAt, issued.Codes));
        }).WithTags("Operator").RequireAuthorization(ApiAuth.Policy).RequireOperator()
          .WithSummary("Operator: issue a coupon batch. The codes are in this answer only; they are stored as keyed hashes.");

        // The operator console's form: same batch, answered as the one-time CSV download.
        app.MapPost("/operator/coupon-batches.csv", async ([Microsoft.AspNetCore.Mvc.FromForm] int count, [Microsoft.AspNetCore.Mvc.FromForm] long minutesEach,
            [Microsoft.AspNetCore.Mvc.FromForm] DateOnly expiresOn, [Microsoft.AspNetCore.Mvc.FromForm] string? memo, CouponRules coupons, HttpContext http, CancellationToken ct) =>
        {
            var expires = TimeZoneInfo.ConvertTimeToUtc(expiresOn.ToDateTime(new TimeOnly(23, 59, 59)), TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul"));
            var issued = await coupons.IssueBatchAsync(http.User.AccountId(), count, minutesEach, expires, memo, ct);
            var csv = new StringBuilder("\uFEFF쿠폰번호,분,유효기간\r\n");
            foreach (var code in issued.Codes) csv.Append($"{code},{minutesEach},{expiresOn:yyyy-MM-dd}\r\n");
            return TypedResults.File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv; charset=utf-8", $"coupons-{issued.Batch.Id:N}.csv");
        }).RequireAuthorization().RequireOperator().ExcludeFromDescription();
    }

    public static ChargeResponse Response(ChargeResult r) =>
        new(r.Seconds, r.CallableSecondsAfter, r.ChargedAt, Text.Pick($"통화시간 충전완료 ({r.Seconds / 60}분)", $"Call time charged ({r.Seconds / 60} min)"));
}
