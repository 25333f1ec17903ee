using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Infrastructure;

/// <summary>Idempotency-Key on any POST of the API: a retry gets the first answer and changes nothing.</summary>
public sealed class IdempotencyKeyTests
{
    private static Task<HttpResponseMessage> PostAsync(HttpClient api, string url, object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return api.SendAsync(request);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_retried_coupon_batch_is_issued_once_and_answers_the_same_codes(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var operatorApi = await app.OperatorAsync();
        var body = new { count = 3, minutesEach = 60, expiresAt = app.Clock.GetUtcNow().UtcDateTime.AddDays(30), memo = "재시도" };

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostAsync(operatorApi, "/api/v1/operator/coupon-batches", body, "batch-2026-11-25")));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var batches = await Task.WhenAll(answers.Select(a => a.Content.ReadFromJsonAsync<IssuedBatchDto>(BusinessApi.Json)));
        Assert.Single(batches.Select(b => b!.BatchId).Distinct());
        Assert.Single(batches.Select(b => string.Join(",", b!.Codes)).Distinct());
        Assert.Equal(3, answers.Count(a => a.Headers.Contains("Idempotent-Replayed")));
        await using var db = app.Db();
        Assert.Equal((1, 3), (await db.CouponBatches.CountAsync(), await db.Coupons.CountAsync()));
        // The kept answer holds coupon codes: it is stored encrypted, never as the codes themselves.
        var stored = await db.IdempotentRequests.SingleAsync();
        Assert.DoesNotContain(batches[0]!.Codes[0], System.Text.Encoding.UTF8.GetString(stored.ProtectedBody!));
    }

    [Fact]
    public async Task A_retried_business_registration_creates_one_business()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var body = new { name = "한번만상사", mainNumber = "02-555-1212" };

        var first = await PostAsync(owner.Api, "/api/v1/businesses", body, "new-business");
        var retry = await PostAsync(owner.Api, "/api/v1/businesses", body, "new-business");

        await first.ShouldBe(HttpStatusCode.Created);
        await retry.ShouldBe(HttpStatusCode.Created);
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(["한번만상사"], (await owner.BusinessesAsync()).Select(b => b.Name));
    }

    [Fact]
    public async Task The_same_key_for_a_different_request_is_refused()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");

        await (await PostAsync(owner.Api, "/api/v1/businesses", new { name = "가게", mainNumber = "02-555-1212" }, "k1")).ShouldBe(HttpStatusCode.Created);
        await (await PostAsync(owner.Api, "/api/v1/businesses", new { name = "다른가게", mainNumber = "02-555-1313" }, "k1"))
            .ShouldBeProblem(HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");
        await (await PostAsync(owner.Api, "/api/v1/businesses", new { name = "가게", mainNumber = "02-555-1212" }, new string('x', 201)))
            .ShouldBeProblem(HttpStatusCode.BadRequest, "idempotency_key_invalid");
        Assert.Single(await owner.BusinessesAsync());
    }

    [Fact]
    public async Task Keys_belong_to_their_caller()
    {
        await using var app = await TestApp.StartAsync();
        var first = await app.PersonAsync("첫째");
        var second = await app.PersonAsync("둘째");

        await (await PostAsync(first.Api, "/api/v1/businesses", new { name = "첫가게", mainNumber = "02-555-1212" }, "same")).ShouldBe(HttpStatusCode.Created);
        var other = await PostAsync(second.Api, "/api/v1/businesses", new { name = "첫가게", mainNumber = "02-555-3434" }, "same");

        await other.ShouldBe(HttpStatusCode.Created);
        Assert.False(other.Headers.Contains("Idempotent-Replayed"));
        Assert.Single(await second.BusinessesAsync());
    }

    [Fact]
    public async Task A_refused_request_is_not_kept_so_its_retry_runs_again()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var member = await owner.AddMemberAsync(business.Id, "직원", "010-5656-7878");
        var url = $"/api/v1/businesses/{business.Id}/members/{member.Id}/allocations";

        await (await PostAsync(owner.Api, url, new { seconds = 600 }, "give-10")).ShouldBeProblem(HttpStatusCode.Conflict, "insufficient_callable_time");
        await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 60)).Single());
        await (await PostAsync(owner.Api, url, new { seconds = 600 }, "give-10")).ShouldBe(HttpStatusCode.OK);
        await (await PostAsync(owner.Api, url, new { seconds = 600 }, "give-10")).ShouldBe(HttpStatusCode.OK);

        Assert.Equal(3000, (await owner.BalanceAsync(business.Id)).CallableSeconds);
    }
}
