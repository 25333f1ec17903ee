using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Members;

public sealed class MemberTests
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task An_added_member_gets_an_invite_and_is_linked_when_that_number_signs_up(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateVerifiedBusinessAsync(app, "오이상사", "010-7000-8001");

        var added = await owner.AddMemberAsync(business.Id, "이직원", "01088889999");
        Assert.Equal(("이직원", "010-8888-9999", "Member"), (added.Name, added.PhoneDisplay, added.Role));
        Assert.Contains(app.Sms.Messages, m => m.To == "+821088889999" && m.Text.Contains("오이상사"));

        var token = await app.SignUpAsync("employee1", "이직원", "010-8888-9999");
        var employee = app.Client().WithToken(token.AccessToken);
        var theirs = Assert.Single((await employee.GetFromJsonAsync<List<BusinessDto>>("/api/v1/businesses", BusinessApi.Json))!);
        Assert.Equal((business.Id, "Member", true), (theirs.Id, theirs.MyRole, theirs.IsCurrent));
        var me = await employee.GetFromJsonAsync<MemberDto>($"/api/v1/businesses/{business.Id}/members/me", BusinessApi.Json);
        Assert.Equal(added.Id, me!.Id);
    }

    [Fact]
    public async Task Adding_a_number_that_already_has_an_account_links_it_at_once()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var existing = await app.PersonAsync("기존", "010-4545-6767");
        var business = await owner.CreateBusinessAsync("가게");

        var added = await owner.AddMemberAsync(business.Id, "기존직원", "010-4545-6767");

        Assert.Single(await existing.BusinessesAsync());
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task The_same_number_twice_is_refused_even_when_submitted_twice_at_once(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            owner.Api.PostAsJsonAsync($"/api/v1/businesses/{business.Id}/members", new { name = "중복", phone = "010-1111-0000" })));

        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Created), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
        Assert.Equal(2, (await owner.MembersAsync(business.Id)).Count);
    }

    [Theory]
    [InlineData("", "010-1234-5678", "invalid_member_name")]
    [InlineData("이름", "02-123-4567", "invalid_member_phone")]
    [InlineData("이름", "010", "invalid_member_phone")]
    public async Task Bad_member_input_is_refused(string name, string phone, string code)
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");

        var response = await owner.Api.PostAsJsonAsync($"/api/v1/businesses/{business.Id}/members", new { name, phone });

        await response.ShouldBeProblem(HttpStatusCode.BadRequest, code);
        Assert.Single(await owner.MembersAsync(business.Id));
    }

    [Fact]
    public async Task Members_can_be_found_by_name_or_number()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        await owner.AddMemberAsync(business.Id, "김철수", "010-1000-2000");
        await owner.AddMemberAsync(business.Id, "박영희", "010-3000-4000");

        Assert.Equal(["김철수"], (await owner.MembersAsync(business.Id, "철수")).Select(m => m.Name));
        Assert.Equal(["박영희"], (await owner.MembersAsync(business.Id, "3000-40")).Select(m => m.Name));
        Assert.Equal(["박영희"], (await owner.MembersAsync(business.Id, "010-3000")).Select(m => m.Name));
        Assert.Empty(await owner.MembersAsync(business.Id, "없는사람"));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Editing_a_member_changes_name_and_number_and_moves_the_link(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var member = await owner.AddMemberAsync(business.Id, "옛이름", "010-2222-1111");
        var newOwnerOfNumber = await app.PersonAsync("새번호주인", "010-2222-3333");

        var response = await owner.Api.PatchAsJsonAsync($"/api/v1/businesses/{business.Id}/members/{member.Id}", new { name = "새이름", phone = "010-2222-3333" });

        await response.ShouldBe(HttpStatusCode.OK);
        var edited = (await response.Content.ReadFromJsonAsync<MemberDto>(BusinessApi.Json))!;
        Assert.Equal(("새이름", "010-2222-3333"), (edited.Name, edited.PhoneDisplay));
        Assert.Single(await newOwnerOfNumber.BusinessesAsync());

        var clash = await owner.Api.PatchAsJsonAsync($"/api/v1/businesses/{business.Id}/members/{member.Id}", new { phone = owner.Phone });
        await clash.ShouldBeProblem(HttpStatusCode.Conflict, "member_exists");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task The_last_admin_can_be_neither_released_nor_deleted(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var ownerMember = Assert.Single(await owner.MembersAsync(business.Id));
        var baseUrl = $"/api/v1/businesses/{business.Id}/members";

        var release = await owner.Api.PutAsJsonAsync($"{baseUrl}/{ownerMember.Id}/role", new { role = "member" });
        var problem = await release.ShouldBeProblem(HttpStatusCode.Conflict, "last_admin");
        Assert.Contains("관리자가 한 명 이상", problem.GetProperty("title").GetString());
        await (await owner.Api.DeleteAsync($"{baseUrl}/{ownerMember.Id}")).ShouldBeProblem(HttpStatusCode.Conflict, "last_admin");

        // With a second admin, the first may step down.
        var deputy = await owner.AddMemberAsync(business.Id, "부관리자", "010-4444-5555");
        await (await owner.Api.PutAsJsonAsync($"{baseUrl}/{deputy.Id}/role", new { role = "admin" })).ShouldBe(HttpStatusCode.OK);
        await (await owner.Api.PutAsJsonAsync($"{baseUrl}/{ownerMember.Id}/role", new { role = "member" })).ShouldBe(HttpStatusCode.OK);

        await using var db = app.Db();
        Assert.Equal(1, await db.Members.CountAsync(m => m.BusinessId == business.Id && m.Role == Web.Features.Members.MemberRole.Admin));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Two_admins_releasing_each_other_at_once_leave_one_admin(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var deputyPerson = await app.PersonAsync("부관리자");
        var deputy = await owner.AddMemberAsync(business.Id, "부관리자", deputyPerson.Phone);
        var baseUrl = $"/api/v1/businesses/{business.Id}/members";
        await owner.Api.PutAsJsonAsync($"{baseUrl}/{deputy.Id}/role", new { role = "admin" });
        var ownerMember = (await owner.MembersAsync(business.Id)).Single(m => m.Phone != deputy.Phone);

        for (var round = 0; round < 5; round++)
        {
            var answers = await Task.WhenAll(
                owner.Api.PutAsJsonAsync($"{baseUrl}/{deputy.Id}/role", new { role = "member" }),
                deputyPerson.Api.PutAsJsonAsync($"{baseUrl}/{ownerMember.Id}/role", new { role = "member" }));

            await using var db = app.Db();
            Assert.Equal(1, await db.Members.CountAsync(m => m.BusinessId == business.Id && m.Role == Web.Features.Members.MemberRole.Admin));
            Assert.Contains(answers, a => a.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Forbidden);

            // Restore two admins for the next round.
            var admin = await db.Members.SingleAsync(m => m.BusinessId == business.Id && m.Role == Web.Features.Members.MemberRole.Admin);
            var adminClient = admin.Id == deputy.Id ? deputyPerson : owner;
            var other = admin.Id == deputy.Id ? ownerMember.Id : deputy.Id;
            await (await adminClient.Api.PutAsJsonAsync($"{baseUrl}/{other}/role", new { role = "admin" })).ShouldBe(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task A_deleted_member_is_gone_from_the_list_and_loses_access()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var employee = await app.PersonAsync("직원");
        var member = await owner.AddMemberAsync(business.Id, "직원", employee.Phone);
        Assert.Single(await employee.BusinessesAsync());

        await (await owner.Api.DeleteAsync($"/api/v1/businesses/{business.Id}/members/{member.Id}")).ShouldBe(HttpStatusCode.NoContent);

        Assert.DoesNotContain(await owner.MembersAsync(business.Id), m => m.Id == member.Id);
        Assert.Empty(await employee.BusinessesAsync());
        await (await employee.Api.GetAsync($"/api/v1/businesses/{business.Id}")).ShouldBeProblem(HttpStatusCode.NotFound, "business_not_found");
        await (await owner.Api.DeleteAsync($"/api/v1/businesses/{business.Id}/members/{member.Id}")).ShouldBeProblem(HttpStatusCode.NotFound, "member_not_found");
        // The same person can be added again later.
        await owner.AddMemberAsync(business.Id, "다시 온 직원", employee.Phone);
    }

    [Fact]
    public async Task A_plain_member_sees_only_themselves_and_changes_nothing()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var employee = await app.PersonAsync("직원");
        var self = await owner.AddMemberAsync(business.Id, "직원", employee.Phone);
        var colleague = await owner.AddMemberAsync(business.Id, "동료", "010-9191-8282");
        var baseUrl = $"/api/v1/businesses/{business.Id}/members";

        await (await employee.Api.GetAsync($"{baseUrl}/{self.Id}")).ShouldBe(HttpStatusCode.OK);
        await (await employee.Api.GetAsync($"{baseUrl}/{colleague.Id}")).ShouldBeProblem(HttpStatusCode.NotFound, "member_not_found");
        await (await employee.Api.GetAsync(baseUrl)).ShouldBeProblem(HttpStatusCode.Forbidden, "admin_only");
        await (await employee.Api.PatchAsJsonAsync($"{baseUrl}/{self.Id}", new { name = "사칭" })).ShouldBeProblem(HttpStatusCode.Forbidden, "admin_only");
        await (await employee.Api.PutAsJsonAsync($"{baseUrl}/{self.Id}/role", new { role = "admin" })).ShouldBeProblem(HttpStatusCode.Forbidden, "admin_only");
        Assert.Equal("직원", (await owner.MembersAsync(business.Id)).Single(m => m.Id == self.Id).Name);
    }
}
