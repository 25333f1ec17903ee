using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Accounts;

public sealed class SignUpTests
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Sign_up_verifies_the_phone_then_the_token_opens_me(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var token = await app.SignUpAsync("kimboss", "김사장", "010-2038-0995");

        var me = await app.Client().WithToken(token.AccessToken).GetFromJsonAsync<Me>("/api/v1/me");
        Assert.Equal("kimboss", me!.LoginId);
        Assert.Equal("김사장", me.Name);
        Assert.Equal("+821020380995", me.Phone);
        Assert.Equal("010-2038-0995", me.PhoneDisplay);
        Assert.False(me.IsOperator);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task No_account_exists_until_the_code_is_verified(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        await app.Client().SignUpStartAsync("pending1", "대기", "010-5555-1111");

        await using var db = app.Db();
        Assert.False(await db.Accounts.AnyAsync(a => a.LoginId == "pending1"));
    }

    [Theory]
    [InlineData("+82 10-1234-5678", "+821012345678")]
    [InlineData("01012345678", "+821012345678")]
    [InlineData("010 1234 5678", "+821012345678")]
    [InlineData("+821012345678", "+821012345678")]
    public async Task Mobile_numbers_are_normalised_however_they_are_typed(string typed, string stored)
    {
        await using var app = await TestApp.StartAsync();
        var token = await app.SignUpAsync("normal1", "정규화", typed);
        Assert.Equal(stored, token.Account.Phone);
    }

    [Theory]
    [InlineData("02-2038-0995")]      // Seoul landline: not a mobile
    [InlineData("070-1234-5678")]     // internet phone
    [InlineData("1588-1234")]         // business number
    [InlineData("010-123")]           // too short
    [InlineData("+1 202 555 0143")]   // not Korean
    [InlineData("전화번호")]
    [InlineData("")]
    public async Task Only_Korean_mobile_numbers_are_accepted(string phone)
    {
        await using var app = await TestApp.StartAsync();
        var response = await app.Client().PostAsJsonAsync("/api/v1/accounts", new { loginId = "tester1", name = "테스터", phone });

        var problem = await response.ShouldBeProblem(HttpStatusCode.BadRequest, "invalid_mobile_number");
        Assert.True(problem.GetProperty("errors").TryGetProperty("phone", out _));
        Assert.Empty(app.Sms.Messages);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("1abc")]
    [InlineData("has space")]
    [InlineData("한글아이디")]
    [InlineData("averyveryverylongloginid")]
    public async Task Malformed_login_ids_are_refused(string loginId)
    {
        await using var app = await TestApp.StartAsync();
        var response = await app.Client().PostAsJsonAsync("/api/v1/accounts", new { loginId, name = "테스터", phone = "010-1111-2222" });
        await response.ShouldBeProblem(HttpStatusCode.BadRequest, "invalid_login_id");
    }

    [Fact]
    public async Task A_taken_id_or_number_never_gets_an_account_and_the_first_account_is_untouched()
    {
        await using var app = await TestApp.StartAsync();
        await app.SignUpAsync("owner", "주인", "010-3333-4444");

        var sameId = await app.Client().SignUpStartAsync("OWNER", "다른사람", "010-3333-5555");
        await (await app.Client().VerifyAsync(sameId.ChallengeId, app.LastCodeTo("010-3333-5555"))).ShouldBeProblem(HttpStatusCode.Conflict, "login_id_taken");
        var sameNumber = await app.Client().SignUpStartAsync("other", "다른사람", "01033334444");
        await (await app.Client().VerifyAsync(sameNumber.ChallengeId, "123456")).ShouldBeProblem(HttpStatusCode.BadRequest, "code_rejected");

        await using var db = app.Db();
        var account = await db.Accounts.SingleAsync(a => a.LoginId == "owner");
        Assert.Equal("주인", account.Name);
        Assert.Equal(0, await db.Accounts.CountAsync(a => a.LoginId == "other" || a.Phone == "+821033335555"));
    }

    [Fact]
    public async Task Two_sign_ups_racing_for_one_id_create_one_account()
    {
        await using var app = await TestApp.StartAsync();
        var first = await app.Client().SignUpStartAsync("racer", "첫째", "010-7777-0001");
        var second = await app.Client().SignUpStartAsync("racer", "둘째", "010-7777-0002");

        var firstDone = await app.Client().VerifyAsync(first.ChallengeId, app.LastCodeTo("010-7777-0001"));
        var secondDone = await app.Client().VerifyAsync(second.ChallengeId, app.LastCodeTo("010-7777-0002"));

        await firstDone.ShouldBe(HttpStatusCode.OK);
        await secondDone.ShouldBeProblem(HttpStatusCode.Conflict, "login_id_taken");
        await using var db = app.Db();
        Assert.Equal(1, await db.Accounts.CountAsync(a => a.LoginId == "racer"));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"loginId": 42, "name": [], "phone": {}}""")]
    [InlineData("")]
    public async Task Malformed_bodies_get_a_problem_not_a_crash(string body)
    {
        await using var app = await TestApp.StartAsync();
        var response = await app.Client().PostAsync("/api/v1/accounts", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await response.ShouldBeProblem(HttpStatusCode.BadRequest, "malformed_request");
    }
}
