using System.Net;
using System.Net.Http.Json;

namespace OiCall.Tests.Support;

public sealed record IssuedBatchDto(Guid BatchId, int Count, long MinutesEach, DateTime ExpiresAt, List<string> Codes);
public sealed record ChargeDto(long Seconds, long CallableSeconds, DateTime ChargedAt, string Message);
public sealed record AllocationDto(long Seconds, long CallableSeconds, long MemberSeconds, string Message);
public sealed record BalanceDto(string Plan, long CallableSeconds, long PrepaidSeconds, long CreditLimitSeconds, long CreditUsedSeconds,
    long DistributedSeconds, long HeldSeconds, long LowBalanceWarningSeconds, bool Low);
public sealed record HistoryLineDto(long Id, DateTime At, string Kind, long Seconds, string? ActorName, Guid? MemberId, string? MemberName, long CallableSecondsAfter, long? MemberSecondsAfter);
public sealed record HistoryPageDto(List<HistoryLineDto> Lines, long? NextBefore);

public static class LedgerCalls
{
    public static async Task<HttpClient> OperatorAsync(this TestApp app) =>
        app.Client().WithToken((await app.LogInAsync("operator", "010-9999-0000")).AccessToken);

    public static async Task<List<string>> IssueCouponsAsync(this TestApp app, int count, long minutesEach, DateTime? expiresAt = null)
    {
        var operatorApi = await app.OperatorAsync();
        var response = await operatorApi.PostAsJsonAsync("/api/v1/operator/coupon-batches",
            new { count, minutesEach, expiresAt = expiresAt ?? app.Clock.GetUtcNow().UtcDateTime.AddDays(30), memo = "test" });
        await response.ShouldBe(HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<IssuedBatchDto>(BusinessApi.Json))!.Codes;
    }

    public static Task<HttpResponseMessage> ChargeAsync(this Person admin, Guid businessId, string code) =>
        admin.Api.PostAsJsonAsync($"/api/v1/businesses/{businessId}/charges", new { code });

    public static Task<HttpResponseMessage> AllocateAsync(this Person admin, Guid businessId, Guid memberId, long seconds, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/businesses/{businessId}/members/{memberId}/allocations")
        {
            Content = JsonContent.Create(new { seconds }),
        };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return admin.Api.SendAsync(request);
    }

    public static async Task<BalanceDto> BalanceAsync(this Person admin, Guid businessId) =>
        (await admin.Api.GetFromJsonAsync<BalanceDto>($"/api/v1/businesses/{businessId}/balance", BusinessApi.Json))!;
}
