using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Security;

/// <summary>Nobody learns which numbers or IDs have accounts from sign-up or the member API.</summary>
public sealed class EnumerationTests
{
    private const string OwnerPhone = "010-3333-4444";

    private static Task<HttpResponseMessage> SignUpAsync(HttpClient client, string loginId, string phone) =>
        client.PostAsJsonAsync("/api/v1/accounts", new { loginId, name = "다른사람", phone });

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Sign_up_answers_the_same_for_a_taken_number_a_taken_id_and_a_fresh_one(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        await app.SignUpAsync("owner", "주인", OwnerPhone);
        var ownerTexts = app.MessagesTo(OwnerPhone);

        var fresh = await SignUpAsync(app.Client(), "newbie", "010-3333-6666");
        var takenNumber = await SignUpAsync(app.Client(), "other", "01033334444");
        var takenId = await SignUpAsync(app.Client(), "OWNER", "010-3333-5555");

        var bodies = new List<JsonElement>();
        foreach (var response in new[] { fresh, takenNumber, takenId })
        {
            await response.ShouldBe(HttpStatusCode.Accepted);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(["challengeId", "expiresAt", "message"], body.EnumerateObject().Select(p => p.Name).Order());
            bodies.Add(body);
        }
        Assert.Single(bodies.Select(b => b.GetProperty("message").GetString()).Distinct());

        // The number's owner is told, without a code; nothing verifies that attempt.
        Assert.Equal(ownerTexts + 1, app.MessagesTo(OwnerPhone));
        var notice = app.Sms.Messages.First(m => m.To == "+821033334444").Text;
        Assert.Contains("로그인", notice);
        Assert.DoesNotMatch(@"\d{6}", notice);
        var numberAttempt = bodies[1].GetProperty("challengeId").GetGuid();
        await (await app.Client().VerifyAsync(numberAttempt, "123456")).ShouldBeProblem(HttpStatusCode.BadRequest, "code_rejected");

        // A taken ID is told only to whoever proved their number.
        var idAttempt = bodies[2].GetProperty("challengeId").GetGuid();
        await (await app.Client().VerifyAsync(idAttempt, app.LastCodeTo("010-3333-5555"))).ShouldBeProblem(HttpStatusCode.Conflict, "login_id_taken");

        await using var db = app.Db();
        var account = await db.Accounts.SingleAsync(a => a.LoginId == "owner");
        Assert.Equal(("주인", "+821033334444"), (account.Name, account.Phone));
        Assert.Equal(1, await db.Accounts.CountAsync(a => a.Phone == "+821033334444"));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Sign_up_with_a_taken_number_meets_the_same_send_limit_as_a_fresh_one(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        await app.SignUpAsync("owner", "주인", OwnerPhone);
        app.Clock.Advance(TimeSpan.FromMinutes(11));

        var taken = new List<HttpStatusCode>();
        var fresh = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            taken.Add((await SignUpAsync(app.Client(), $"taker{i}", OwnerPhone)).StatusCode);
            fresh.Add((await SignUpAsync(app.Client(), $"fresh{i}", "010-3333-7777")).StatusCode);
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Accepted, 5), HttpStatusCode.TooManyRequests], taken);
        Assert.Equal(fresh, taken);
    }

    [Fact]
    public async Task The_member_api_does_not_say_whether_a_number_has_an_account()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        await app.PersonAsync("가입자", "010-4545-6767");
        var business = await owner.CreateBusinessAsync("가게");

        var withAccount = await owner.Api.PostAsJsonAsync($"/api/v1/businesses/{business.Id}/members", new { name = "가입자", phone = "010-4545-6767" });
        var withoutAccount = await owner.Api.PostAsJsonAsync($"/api/v1/businesses/{business.Id}/members", new { name = "미가입", phone = "010-4545-0000" });

        var shapes = new List<string[]>();
        foreach (var response in new[] { withAccount, withoutAccount })
        {
            await response.ShouldBe(HttpStatusCode.Created);
            shapes.Add([.. (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateObject().Select(p => p.Name)]);
        }
        Assert.Equal(shapes[0], shapes[1]);
        var listed = await owner.Api.GetStringAsync($"/api/v1/businesses/{business.Id}/members");
        Assert.DoesNotContain("account", listed, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(shapes[0], name => name.Contains("account", StringComparison.OrdinalIgnoreCase));
    }
}
