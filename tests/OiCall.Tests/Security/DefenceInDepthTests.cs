using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.CallerNumbers;
using OiCall.Tests.Support;
using OiCall.Web.Data;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.CallerNumbers;
using OiCall.Web.Features.Members;
using OiCall.Web.Infrastructure;

namespace OiCall.Tests.Security;

/// <summary>Second lines behind the first: role checks in the rules, operator revocation, CSV formulas, quotas.</summary>
public sealed class DefenceInDepthTests
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_plain_member_cannot_change_members_or_numbers_even_past_the_pages_access_check(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var employee = await owner.AddMemberAsync(business.Id, "직원", "010-6200-0001");
        await app.SignUpAsync("employee62", "직원", "010-6200-0001");

        // What a page handler holds: the caller's own membership, as the page loaded it.
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var self = new Membership(await db.Businesses.SingleAsync(b => b.Id == business.Id), await db.Members.SingleAsync(m => m.Id == employee.Id));
        var members = scope.ServiceProvider.GetRequiredService<MemberRules>();
        var numbers = scope.ServiceProvider.GetRequiredService<CallerNumberRules>();
        var attempts = new Func<Task>[]
        {
            () => members.SetRoleAsync(self, employee.Id, MemberRole.Admin),
            () => members.UpdateAsync(self, employee.Id, "사장님", null),
            () => members.AddAsync(self, "친구", "010-6200-0002"),
            () => members.DeleteAsync(self, employee.Id),
            () => members.ListAsync(self, null),
            () => numbers.RegisterAsync(self, "02-6200-0003", "몰래", "127.0.0.1"),
            () => numbers.SetDefaultAsync(self, null),
        };
        foreach (var attempt in attempts)
            Assert.Equal("admin_only", (await Assert.ThrowsAsync<AppProblem>(attempt)).Error.Code);

        await using var check = app.Db();
        var stored = await check.Members.SingleAsync(m => m.Id == employee.Id);
        Assert.Equal(("직원", MemberRole.Member), (stored.Name, stored.Role));
        Assert.Equal(2, await check.Members.CountAsync(m => m.BusinessId == business.Id));
        Assert.False(await check.CallerNumbers.AnyAsync(n => n.BusinessId == business.Id));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task An_operator_whose_role_is_revoked_loses_the_web_session_at_once(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var browser = app.Client();
        await WebLogin.LogInAsync(app, browser, "operator", "010-9999-0000");
        await (await browser.GetAsync("/operator")).ShouldBe(HttpStatusCode.OK);

        await using (var db = app.Db())
            await db.Accounts.Where(a => a.LoginId == "operator").ExecuteUpdateAsync(s => s.SetProperty(a => a.IsOperator, false));

        var after = await browser.GetAsync("/operator");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/login", after.Headers.Location!.PathAndQuery);
        // The whole session is gone, not only the operator pages.
        Assert.StartsWith("/login", (await browser.GetAsync("/")).Headers.Location!.PathAndQuery);
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://evil.example\")")]
    [InlineData("+1+1")]
    [InlineData("-2+3")]
    [InlineData("@SUM(A1)")]
    [InlineData("\t=1+1")]
    [InlineData("\r=1+1")]
    public void Every_formula_lead_in_is_defused_in_csv_cells(string value)
    {
        var cell = CsvCell.Escape(value);
        Assert.Equal("\"'" + value.Replace("\"", "\"\"") + "\"", cell);
    }

    [Fact]
    public async Task A_member_name_that_is_a_formula_reaches_the_history_csv_defused()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var member = await owner.AddMemberAsync(business.Id, "=cmd|' /C calc'!A0", "010-6200-0011");
        var code = (await app.IssueCouponsAsync(1, 10)).Single();
        await (await owner.ChargeAsync(business.Id, code)).ShouldBe(HttpStatusCode.OK);
        await (await owner.AllocateAsync(business.Id, member.Id, 60)).ShouldBe(HttpStatusCode.OK);
        var browser = app.Client();
        await WebLogin.LogInAsync(app, browser, owner.LoginId, owner.Phone);

        var csv = await browser.GetStringAsync("/history.csv?tab=distributions");

        Assert.Contains("\"'=cmd|' /C calc'!A0\"", csv);
    }

    [Fact]
    public async Task A_business_holds_at_most_its_quota_of_caller_numbers_and_a_number_its_quota_of_documents()
    {
        await using var app = await TestApp.StartAsync(settings: new()
        {
            ["CallerNumbers:MaxNumbersPerBusiness"] = "2",
            ["CallerNumbers:MaxDocumentsPerNumber"] = "2",
        });
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var first = await owner.RegisterNumberAsync(business.Id, "02-6200-1001");
        await owner.RegisterNumberAsync(business.Id, "02-6200-1002");

        var third = await owner.Api.PostAsJsonAsync(CallerNumberCalls.Base(business.Id), new { number = "02-6200-1003", name = "셋째" });
        await third.ShouldBeProblem(HttpStatusCode.Conflict, "too_many_caller_numbers");

        await (await owner.UploadAsync(business.Id, first.Id, CallerNumberCalls.Pdf)).ShouldBe(HttpStatusCode.Created);
        await (await owner.UploadAsync(business.Id, first.Id, CallerNumberCalls.Pdf)).ShouldBe(HttpStatusCode.Created);
        await (await owner.UploadAsync(business.Id, first.Id, CallerNumberCalls.Pdf)).ShouldBeProblem(HttpStatusCode.Conflict, "too_many_documents");
        await using var db = app.Db();
        Assert.Equal(2, await db.CallerNumberDocuments.CountAsync(d => d.CallerNumberId == first.Id));
    }
}
