using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.CallerNumbers;

/// <summary>발신번호 사전 등록: 등록요청 → 서류대기 → 심사중 → 승인 | 반려(사유) → 삭제, with evidence at every step.</summary>
public sealed class CallerNumberLifecycleTests
{
    private static async Task<(TestApp App, HttpClient Operator, Person Owner, BusinessDto Business)> SetUpAsync(DatabaseProvider provider = DatabaseProvider.Sqlite)
    {
        var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("번호상사");
        return (app, await app.OperatorAsync(), owner, business);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_landline_goes_through_documents_review_rejection_and_approval(DatabaseProvider provider)
    {
        var (app, operatorApi, owner, business) = await SetUpAsync(provider);
        await using var _ = app;

        var number = await owner.RegisterNumberAsync(business.Id, "02 555 1234", "본사");
        Assert.Equal(("+8225551234", "02-555-1234", "AwaitingDocuments", "서류 필요"), (number.Number, number.NumberDisplay, number.State, number.StateLabel));
        Assert.Null(number.ChallengeId);
        Assert.Contains("통신서비스 이용증명원", number.NextStep);

        await (await owner.SubmitAsync(business.Id, number.Id)).ShouldBeProblem(HttpStatusCode.Conflict, "usage_certificate_missing");
        await (await operatorApi.DecideAsync(number.Id, true)).ShouldBeProblem(HttpStatusCode.Conflict, "caller_number_state");
        var uploaded = await owner.UploadAsync(business.Id, number.Id, CallerNumberCalls.Pdf);
        await uploaded.ShouldBe(HttpStatusCode.Created);
        var document = (await uploaded.Content.ReadFromJsonAsync<DocumentDto>(BusinessApi.Json))!;
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(CallerNumberCalls.Pdf)), document.Sha256);
        Assert.Equal(("application/pdf", "이용증명원.pdf"), (document.ContentType, document.OriginalName));

        await (await owner.SubmitAsync(business.Id, number.Id)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("확인 중", (await owner.GetNumberAsync(business.Id, number.Id)).StateLabel);
        await (await owner.UploadAsync(business.Id, number.Id, CallerNumberCalls.Pdf)).ShouldBeProblem(HttpStatusCode.Conflict, "caller_number_state");

        // The operator's queue holds it; a rejection needs a reason and reaches the admin by SMS.
        var queue = await operatorApi.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/operator/review-queue");
        Assert.Contains(queue.GetProperty("callerNumbers").EnumerateArray(), n => n.GetProperty("id").GetGuid() == number.Id);
        await (await operatorApi.DecideAsync(number.Id, false)).ShouldBeProblem(HttpStatusCode.BadRequest, "reason_required");
        await (await operatorApi.DecideAsync(number.Id, false, "발급일이 3개월을 넘었습니다")).ShouldBe(HttpStatusCode.OK);
        var rejected = await owner.GetNumberAsync(business.Id, number.Id);
        Assert.Equal(("반려", "발급일이 3개월을 넘었습니다"), (rejected.StateLabel, rejected.RejectReason));
        Assert.Contains(app.Sms.Messages, m => m.To == PhoneE164(owner.Phone) && m.Text.Contains("반려") && m.Text.Contains("3개월"));

        // Resubmission needs a new certificate, not the rejected one.
        await (await owner.SubmitAsync(business.Id, number.Id)).ShouldBeProblem(HttpStatusCode.Conflict, "usage_certificate_missing");
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        await (await owner.UploadAsync(business.Id, number.Id, [.. CallerNumberCalls.Pdf, .. "% new\n"u8.ToArray()], "새증명원.pdf")).ShouldBe(HttpStatusCode.Created);
        await (await owner.SubmitAsync(business.Id, number.Id)).ShouldBe(HttpStatusCode.OK);
        await (await operatorApi.DecideAsync(number.Id, true)).ShouldBe(HttpStatusCode.OK);
        var approved = await owner.GetNumberAsync(business.Id, number.Id);
        Assert.Equal(("Approved", 2), (approved.State, approved.Documents.Count));
        Assert.Contains(app.Sms.Messages, m => m.To == PhoneE164(owner.Phone) && m.Text.Contains("승인"));
        await (await operatorApi.DecideAsync(number.Id, false, "다시")).ShouldBeProblem(HttpStatusCode.Conflict, "caller_number_state");

        await using (var db = app.Db())
        {
            var decisions = await db.AuditEntries.Where(e => e.Action == "caller_number.approved" || e.Action == "caller_number.rejected").ToListAsync();
            Assert.Equal(2, decisions.Count);
            Assert.All(decisions, d => Assert.Contains(document.Sha256, d.Detail));
            Assert.All(decisions, d => Assert.NotNull(d.ActorAccountId));
        }

        await (await owner.Api.DeleteAsync($"{CallerNumberCalls.Base(business.Id)}/{number.Id}")).ShouldBe(HttpStatusCode.NoContent);
        Assert.Equal("삭제", (await owner.GetNumberAsync(business.Id, number.Id)).StateLabel);
        Assert.DoesNotContain(await owner.Api.GetFromJsonAsync<List<CallerNumberDto>>(CallerNumberCalls.Base(business.Id), BusinessApi.Json) ?? [], n => n.Id == number.Id);
        await (await owner.SubmitAsync(business.Id, number.Id)).ShouldBeProblem(HttpStatusCode.Conflict, "caller_number_deleted");
        await (await owner.Api.DeleteAsync($"{CallerNumberCalls.Base(business.Id)}/{number.Id}")).ShouldBeProblem(HttpStatusCode.Conflict, "caller_number_deleted");
    }

    [Fact]
    public async Task A_mobile_number_proves_possession_by_SMS_before_documents_count()
    {
        var (app, _, owner, business) = await SetUpAsync();
        await using var _a = app;
        var number = await owner.RegisterNumberAsync(business.Id, "010-7777-1212", "김대리 휴대폰");
        Assert.Equal(("Requested", "확인 중"), (number.State, number.StateLabel));
        Assert.NotNull(number.ChallengeId);
        var code = app.LastCodeTo("010-7777-1212")!;

        await (await owner.UploadAsync(business.Id, number.Id, CallerNumberCalls.Pdf)).ShouldBe(HttpStatusCode.Created);
        await (await owner.SubmitAsync(business.Id, number.Id)).ShouldBeProblem(HttpStatusCode.Conflict, "possession_not_proven");
        var wrong = code == "000000" ? "111111" : "000000";
        var refused = await owner.Api.PostAsJsonAsync($"{CallerNumberCalls.Base(business.Id)}/{number.Id}/code/confirm", new { challengeId = number.ChallengeId, code = wrong });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        await (await owner.Api.PostAsJsonAsync($"{CallerNumberCalls.Base(business.Id)}/{number.Id}/code/confirm", new { challengeId = number.ChallengeId, code }))
            .ShouldBe(HttpStatusCode.OK);
        Assert.Equal("서류 필요", (await owner.GetNumberAsync(business.Id, number.Id)).StateLabel);
        await (await owner.SubmitAsync(business.Id, number.Id)).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Numbers_are_checked_and_one_approved_elsewhere_is_refused()
    {
        var (app, _, owner, business) = await SetUpAsync();
        await using var _a = app;
        foreach (var bad in new[] { "abc", "1234", "02-12", "+1 212 555 0100", "" })
            await (await owner.Api.PostAsJsonAsync(CallerNumberCalls.Base(business.Id), new { number = bad, name = "x" }))
                .ShouldBeProblem(HttpStatusCode.BadRequest, "invalid_caller_number");
        await (await owner.Api.PostAsJsonAsync(CallerNumberCalls.Base(business.Id), new { number = "02-555-1234", name = " " }))
            .ShouldBeProblem(HttpStatusCode.BadRequest, "invalid_caller_number_name");

        await app.ApprovedNumberAsync(owner, business.Id, "1588-1234");
        await (await owner.Api.PostAsJsonAsync(CallerNumberCalls.Base(business.Id), new { number = "15881234", name = "또" }))
            .ShouldBeProblem(HttpStatusCode.Conflict, "caller_number_exists");
        var other = await app.PersonAsync("남");
        var otherBusiness = await other.CreateBusinessAsync("남의가게", "02-444-5555");
        await (await other.Api.PostAsJsonAsync(CallerNumberCalls.Base(otherBusiness.Id), new { number = "1588-1234", name = "훔친번호" }))
            .ShouldBeProblem(HttpStatusCode.Conflict, "caller_number_taken");
    }

    [Fact]
    public async Task Review_and_decisions_are_for_operators_only()
    {
        var (app, _, owner, business) = await SetUpAsync();
        await using var _a = app;
        var number = await owner.RegisterNumberAsync(business.Id, "02-555-1234");
        await owner.UploadAsync(business.Id, number.Id, CallerNumberCalls.Pdf);
        await owner.SubmitAsync(business.Id, number.Id);

        await (await owner.Api.GetAsync("/api/v1/operator/review-queue")).ShouldBe(HttpStatusCode.Forbidden);
        await (await owner.Api.DecideAsync(number.Id, true)).ShouldBe(HttpStatusCode.Forbidden);
        await (await owner.Api.GetAsync($"/api/v1/operator/caller-numbers/{number.Id}")).ShouldBe(HttpStatusCode.Forbidden);
        Assert.Equal("InReview", (await owner.GetNumberAsync(business.Id, number.Id)).State);
    }

    private static string PhoneE164(string display) => Web.Infrastructure.KoreanPhone.Parse(display)!.Value.E164;
}
