using System.Net;
using System.Net.Http.Json;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Businesses;

public sealed class MainNumberVerificationTests
{
    private static async Task<HttpClient> OperatorAsync(TestApp app) =>
        app.Client().WithToken((await app.LogInAsync("operator", "010-9999-0000")).AccessToken);

    private static async Task<BusinessDto> ReloadAsync(Person owner, Guid id) =>
        (await owner.Api.GetFromJsonAsync<BusinessDto>($"/api/v1/businesses/{id}", BusinessApi.Json))!;

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_mobile_main_number_is_verified_by_the_code_sent_to_it(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("폰가게", "010-7000-8000");

        var requested = await owner.Api.PostAsync($"/api/v1/businesses/{business.Id}/main-number/verification", null);
        await requested.ShouldBe(HttpStatusCode.Accepted);
        var sent = (await requested.Content.ReadFromJsonAsync<VerificationDto>(BusinessApi.Json))!;
        Assert.Equal("Requested", sent.State);
        Assert.NotNull(sent.ChallengeId);

        var confirmed = await owner.Api.PostAsJsonAsync($"/api/v1/businesses/{business.Id}/main-number/verification/confirm",
            new { challengeId = sent.ChallengeId, code = app.LastCodeTo("010-7000-8000") });
        await confirmed.ShouldBe(HttpStatusCode.OK);
        Assert.Equal(("Verified", "인증완료"), ((await ReloadAsync(owner, business.Id)).MainNumberState, (await ReloadAsync(owner, business.Id)).MainNumberStateLabel));
    }

    [Fact]
    public async Task A_main_number_code_cannot_log_anyone_in_or_verify_another_business()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("폰가게", "010-7000-8001");
        var other = await owner.CreateBusinessAsync("다른가게", "010-7000-8002");
        var sent = (await (await owner.Api.PostAsync($"/api/v1/businesses/{business.Id}/main-number/verification", null)).Content.ReadFromJsonAsync<VerificationDto>(BusinessApi.Json))!;
        var code = app.LastCodeTo("010-7000-8001");

        await (await app.Client().VerifyAsync(sent.ChallengeId!.Value, code)).ShouldBeProblem(HttpStatusCode.BadRequest, "code_rejected");
        await (await owner.Api.PostAsJsonAsync($"/api/v1/businesses/{other.Id}/main-number/verification/confirm",
            new { challengeId = sent.ChallengeId, code })).ShouldBeProblem(HttpStatusCode.BadRequest, "code_rejected");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_landline_waits_for_an_operator_who_approves_or_rejects_with_a_reason(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var operatorApi = await OperatorAsync(app);
        var business = await owner.CreateBusinessAsync("유선가게", "02-2038-0995");
        var decision = $"/api/v1/operator/businesses/{business.Id}/main-number/decision";

        // Nothing to decide before the admin asks.
        await (await operatorApi.PostAsJsonAsync(decision, new { approve = true })).ShouldBeProblem(HttpStatusCode.Conflict, "main_number_not_requested");

        var requested = (await (await owner.Api.PostAsync($"/api/v1/businesses/{business.Id}/main-number/verification", null)).Content.ReadFromJsonAsync<VerificationDto>(BusinessApi.Json))!;
        Assert.Null(requested.ChallengeId);
        Assert.Equal("Requested", (await ReloadAsync(owner, business.Id)).MainNumberState);

        await (await operatorApi.PostAsJsonAsync(decision, new { approve = false })).ShouldBeProblem(HttpStatusCode.BadRequest, "reason_required");
        await (await operatorApi.PostAsJsonAsync(decision, new { approve = false, reason = "이용증명원이 필요합니다" })).ShouldBe(HttpStatusCode.OK);
        var rejected = await ReloadAsync(owner, business.Id);
        Assert.Equal(("Rejected", "이용증명원이 필요합니다"), (rejected.MainNumberState, rejected.MainNumberRejectReason));
        Assert.Contains(app.Sms.Messages, m => m.To == Web.Infrastructure.KoreanPhone.Parse(owner.Phone)!.Value.E164 && m.Text.Contains("반려: 이용증명원이 필요합니다"));

        await owner.Api.PostAsync($"/api/v1/businesses/{business.Id}/main-number/verification", null);
        await (await operatorApi.PostAsJsonAsync(decision, new { approve = true })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("Verified", (await ReloadAsync(owner, business.Id)).MainNumberState);
        Assert.Contains(app.Sms.Messages, m => m.Text.Contains("02-2038-0995 인증완료"));

        await (await owner.Api.PostAsync($"/api/v1/businesses/{business.Id}/main-number/verification", null)).ShouldBeProblem(HttpStatusCode.Conflict, "main_number_already_verified");
    }

    [Fact]
    public async Task Only_operators_decide()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        await owner.Api.PostAsync($"/api/v1/businesses/{business.Id}/main-number/verification", null);

        var response = await owner.Api.PostAsJsonAsync($"/api/v1/operator/businesses/{business.Id}/main-number/decision", new { approve = true });

        await response.ShouldBeProblem(HttpStatusCode.Forbidden, "operator_only");
        Assert.Equal("Requested", (await ReloadAsync(owner, business.Id)).MainNumberState);
    }

    [Fact]
    public async Task A_number_verified_by_one_business_cannot_be_claimed_by_another()
    {
        await using var app = await TestApp.StartAsync();
        var first = await app.PersonAsync("첫째");
        var second = await app.PersonAsync("둘째");
        var operatorApi = await OperatorAsync(app);
        var business = await first.CreateBusinessAsync("원조", "02-777-8888");
        await first.Api.PostAsync($"/api/v1/businesses/{business.Id}/main-number/verification", null);
        await operatorApi.PostAsJsonAsync($"/api/v1/operator/businesses/{business.Id}/main-number/decision", new { approve = true });

        var copy = await second.Api.PostAsJsonAsync("/api/v1/businesses", new { name = "짝퉁", mainNumber = "027778888" });

        await copy.ShouldBeProblem(HttpStatusCode.Conflict, "main_number_taken");
    }
}
