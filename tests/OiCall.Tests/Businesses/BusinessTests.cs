using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Businesses;

public sealed class BusinessTests
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Registering_a_business_makes_the_creator_its_admin_and_current_business(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("김사장");

        var business = await owner.CreateBusinessAsync("오이상사", "0220380995");

        Assert.Equal("02-2038-0995", business.MainNumberDisplay);
        Assert.Equal("+82220380995", business.MainNumber);
        Assert.Equal("Unverified", business.MainNumberState);
        Assert.Equal("미인증", business.MainNumberStateLabel);
        var listed = Assert.Single(await owner.BusinessesAsync());
        Assert.Equal(("오이상사", "Admin", true, 1), (listed.Name, listed.MyRole, listed.IsCurrent, listed.MemberCount));
        var me = Assert.Single(await owner.MembersAsync(business.Id));
        Assert.Equal(("김사장", "Admin"), (me.Name, me.Role));
    }

    [Theory]
    [InlineData("070-1234-5678", "070-1234-5678")]
    [InlineData("1588-1234", "1588-1234")]
    [InlineData("010-2038-0995", "010-2038-0995")]
    [InlineData("031 123 4567", "031-123-4567")]
    public async Task Any_korean_number_can_be_a_main_number(string typed, string shown)
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        Assert.Equal(shown, (await owner.CreateBusinessAsync("가게", typed)).MainNumberDisplay);
    }

    [Theory]
    [InlineData("", "02-2038-0995", "invalid_business_name")]
    [InlineData("   ", "02-2038-0995", "invalid_business_name")]
    [InlineData("가게", "12345", "invalid_main_number")]
    [InlineData("가게", "+1 202 555 0143", "invalid_main_number")]
    [InlineData("가게", null, "invalid_main_number")]
    public async Task Bad_business_input_is_refused_and_nothing_is_stored(string name, string? mainNumber, string code)
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");

        var response = await owner.Api.PostAsJsonAsync("/api/v1/businesses", new { name, mainNumber });

        await response.ShouldBeProblem(HttpStatusCode.BadRequest, code);
        Assert.Empty(await owner.BusinessesAsync());
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Editing_the_main_number_needs_verifying_again(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var operatorApi = app.Client().WithToken((await app.LogInAsync("operator", "010-9999-0000")).AccessToken);
        var business = await owner.CreateBusinessAsync("가게", "02-111-2222");
        await owner.Api.PostAsync($"/api/v1/businesses/{business.Id}/main-number/verification", null);
        await (await operatorApi.PostAsJsonAsync($"/api/v1/operator/businesses/{business.Id}/main-number/decision", new { approve = true })).ShouldBe(HttpStatusCode.OK);

        var renamed = await (await owner.Api.PatchAsJsonAsync($"/api/v1/businesses/{business.Id}", new { name = "새 가게" })).Content.ReadFromJsonAsync<BusinessDto>(BusinessApi.Json);
        Assert.Equal(("새 가게", "Verified"), (renamed!.Name, renamed.MainNumberState));

        var renumbered = await (await owner.Api.PatchAsJsonAsync($"/api/v1/businesses/{business.Id}", new { mainNumber = "02-333-4444" })).Content.ReadFromJsonAsync<BusinessDto>(BusinessApi.Json);
        Assert.Equal(("02-333-4444", "Unverified"), (renumbered!.MainNumberDisplay, renumbered.MainNumberState));
    }

    [Fact]
    public async Task The_chosen_business_survives_a_new_login()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장", "010-3030-4040");
        var first = await owner.CreateBusinessAsync("첫째 가게");
        var second = await owner.CreateBusinessAsync("둘째 가게", "02-555-6666");
        Assert.True((await owner.BusinessesAsync()).Single(b => b.Id == second.Id).IsCurrent);

        await (await owner.Api.PutAsJsonAsync("/api/v1/me/current-business", new { businessId = first.Id })).ShouldBe(HttpStatusCode.NoContent);

        var again = app.Client().WithToken((await app.LogInAsync(owner.LoginId, owner.Phone)).AccessToken);
        var businesses = await again.GetFromJsonAsync<List<BusinessDto>>("/api/v1/businesses", BusinessApi.Json);
        Assert.Equal(first.Id, businesses!.Single(b => b.IsCurrent).Id);
    }

    [Fact]
    public async Task Switching_to_someone_elses_business_is_404()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var stranger = await app.PersonAsync("남");
        var business = await owner.CreateBusinessAsync("가게");

        var response = await stranger.Api.PutAsJsonAsync("/api/v1/me/current-business", new { businessId = business.Id });
        await response.ShouldBeProblem(HttpStatusCode.NotFound, "business_not_found");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Deleting_a_business_with_members_says_what_it_means_first_and_keeps_history(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("없어질 가게");
        await owner.AddMemberAsync(business.Id, "직원", "010-6060-7070");

        var preview = await owner.Api.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/businesses/{business.Id}/deletion");
        Assert.Equal(1, preview.GetProperty("otherMembers").GetInt32());
        Assert.True(preview.GetProperty("needConfirmation").GetBoolean());
        Assert.Contains("멤버 1명", preview.GetProperty("message").GetString());

        await (await owner.Api.DeleteAsync($"/api/v1/businesses/{business.Id}")).ShouldBeProblem(HttpStatusCode.Conflict, "deletion_needs_confirmation");
        Assert.Single(await owner.BusinessesAsync());

        await (await owner.Api.DeleteAsync($"/api/v1/businesses/{business.Id}?confirm=true")).ShouldBe(HttpStatusCode.NoContent);
        Assert.Empty(await owner.BusinessesAsync());
        await (await owner.Api.GetAsync($"/api/v1/businesses/{business.Id}")).ShouldBeProblem(HttpStatusCode.NotFound, "business_not_found");

        await using var db = app.Db();
        var kept = await db.Businesses.IgnoreQueryFilters().SingleAsync(b => b.Id == business.Id);
        Assert.NotNull(kept.DeletedAt);
        Assert.Equal(2, await db.Members.IgnoreQueryFilters().CountAsync(m => m.BusinessId == business.Id));
        Assert.Contains(await db.AuditEntries.Where(e => e.BusinessId == business.Id).Select(e => e.Action).ToListAsync(), a => a == "business.deleted");
    }

    [Fact]
    public async Task A_business_with_only_its_admin_deletes_without_confirmation()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("혼자 가게");
        await (await owner.Api.DeleteAsync($"/api/v1/businesses/{business.Id}")).ShouldBe(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Every_change_is_in_the_audit_log_with_who_and_which_business()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var member = await owner.AddMemberAsync(business.Id, "직원", "010-1212-3434");
        await owner.Api.PatchAsJsonAsync($"/api/v1/businesses/{business.Id}", new { name = "가게2" });
        await owner.Api.PatchAsJsonAsync($"/api/v1/businesses/{business.Id}/members/{member.Id}", new { name = "직원2" });
        await owner.Api.PutAsJsonAsync($"/api/v1/businesses/{business.Id}/members/{member.Id}/role", new { role = "Admin" });
        await owner.Api.DeleteAsync($"/api/v1/businesses/{business.Id}/members/{member.Id}");

        await using var db = app.Db();
        var entries = await db.AuditEntries.Where(e => e.BusinessId == business.Id).OrderBy(e => e.Id).ToListAsync();
        Assert.Equal(["business.created", "member.added", "business.updated", "member.updated", "member.made_admin", "member.deleted"], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal(owner.AccountId, e.ActorAccountId));
    }
}
