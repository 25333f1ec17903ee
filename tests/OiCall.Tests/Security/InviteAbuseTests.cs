using System.Net;
using System.Net.Http.Json;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Security;

/// <summary>Member invites cannot turn the service's number into a spam or phishing sender.</summary>
public sealed class InviteAbuseTests
{
    private static string Members(Guid businessId) => $"/api/v1/businesses/{businessId}/members";

    private static object Contacts(int from, int count) => new
    {
        preview = false,
        contacts = Enumerable.Range(from, count).Select(i => new { name = $"직원{i}", phone = $"010-6300-{i:D4}" }).ToList(),
    };

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_business_invites_at_most_its_daily_cap(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider, new() { ["Members:MaxInvitesPerDay"] = "5" });
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateVerifiedBusinessAsync(app, "가게", "010-6300-9000");
        var texts = app.Sms.Messages.Count;

        await (await owner.Api.PostAsJsonAsync($"{Members(business.Id)}/import/contacts", Contacts(0, 3))).ShouldBe(HttpStatusCode.OK);
        var tooMany = await owner.Api.PostAsJsonAsync($"{Members(business.Id)}/import/contacts", Contacts(3, 3));
        await tooMany.ShouldBeProblem(HttpStatusCode.TooManyRequests, "too_many_invites");
        Assert.NotNull(tooMany.Headers.RetryAfter);
        // Owner (1) + 3 added: one place is left today.
        await owner.AddMemberAsync(business.Id, "한명더", "010-6300-0100");
        await (await owner.Api.PostAsJsonAsync(Members(business.Id), new { name = "또", phone = "010-6300-0101" }))
            .ShouldBeProblem(HttpStatusCode.TooManyRequests, "too_many_invites");
        Assert.Equal(texts + 4, app.Sms.Messages.Count);

        app.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await owner.AddMemberAsync(business.Id, "다음날", "010-6300-0102");
    }

    [Theory]
    [InlineData("http://evil.example")]
    [InlineData("무료쿠폰 www.evil")]
    [InlineData("당첨 bit.ly/abc")]
    [InlineData("이벤트 evil-site.com 확인")]
    [InlineData("오이콜 . kr")]
    public async Task Names_that_go_into_texts_cannot_carry_a_link(string name)
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var texts = app.Sms.Messages.Count;

        await (await owner.Api.PostAsJsonAsync(Members(business.Id), new { name, phone = "010-6300-0200" })).ShouldBeProblem(HttpStatusCode.BadRequest, "name_contains_link");
        await (await owner.Api.PostAsJsonAsync("/api/v1/businesses", new { name, mainNumber = "02-6300-0201" })).ShouldBeProblem(HttpStatusCode.BadRequest, "name_contains_link");
        var imported = await (await owner.Api.PostAsJsonAsync($"{Members(business.Id)}/import/contacts",
            new { preview = false, contacts = new[] { new { name, phone = "010-6300-0202" } } })).Content.ReadFromJsonAsync<ImportDto>(BusinessApi.Json);
        Assert.Equal((0, "Malformed"), (imported!.Added, imported.Rows.Single().Outcome));
        Assert.Equal(texts, app.Sms.Messages.Count);
    }

    [Fact]
    public async Task Ordinary_names_with_dots_are_still_names()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("St.John 상사");
        await owner.AddMemberAsync(business.Id, "J.K. 김", "010-6300-0300");
    }

    [Fact]
    public async Task A_business_without_a_verified_main_number_sends_no_invites()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("미인증가게");

        await owner.AddMemberAsync(business.Id, "직원", "010-6300-0400");

        Assert.Equal(0, app.MessagesTo("010-6300-0400"));
    }
}
