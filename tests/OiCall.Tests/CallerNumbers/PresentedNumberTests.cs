using System.Net;
using System.Net.Http.Json;
using OiCall.Tests.Support;

namespace OiCall.Tests.CallerNumbers;

/// <summary>Which number a call shows: the member's approved choice, else the business default — never an unapproved number.</summary>
public sealed class PresentedNumberTests
{
    [Fact]
    public async Task Only_approved_numbers_can_be_chosen_and_a_deleted_one_falls_back()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("표시상사");
        var member = await owner.AddMemberAsync(business.Id, "영업", "010-3131-4242");
        var headOffice = await app.ApprovedNumberAsync(owner, business.Id, "02-555-1234", "본사");
        var sales = await app.ApprovedNumberAsync(owner, business.Id, "070-4444-5555", "영업팀");
        var pending = await owner.RegisterNumberAsync(business.Id, "031-777-8888", "지점");
        var presentedUrl = $"/api/v1/businesses/{business.Id}/members/{member.Id}/caller-number";

        // The first approved number became the default by itself; the second did not replace it.
        Assert.Equal("02-555-1234", (await owner.Api.GetFromJsonAsync<PresentedDto>(presentedUrl, BusinessApi.Json))!.NumberDisplay);
        Assert.False((await owner.GetNumberAsync(business.Id, sales.Id)).IsDefault);

        var defaultUrl = $"{CallerNumberCalls.Base(business.Id)}/default";
        await (await owner.Api.PutAsJsonAsync(defaultUrl, new { callerNumberId = pending.Id })).ShouldBeProblem(HttpStatusCode.Conflict, "caller_number_not_approved");
        await (await owner.Api.PutAsJsonAsync(defaultUrl, new { callerNumberId = Guid.NewGuid() })).ShouldBeProblem(HttpStatusCode.NotFound, "caller_number_not_found");
        await (await owner.Api.PutAsJsonAsync(defaultUrl, new { callerNumberId = headOffice.Id })).ShouldBe(HttpStatusCode.NoContent);
        Assert.Equal("02-555-1234", (await owner.Api.GetFromJsonAsync<PresentedDto>(presentedUrl, BusinessApi.Json))!.NumberDisplay);
        Assert.True((await owner.GetNumberAsync(business.Id, headOffice.Id)).IsDefault);

        await (await owner.Api.PutAsJsonAsync(presentedUrl, new { callerNumberId = pending.Id })).ShouldBeProblem(HttpStatusCode.Conflict, "caller_number_not_approved");
        await (await owner.Api.PutAsJsonAsync(presentedUrl, new { callerNumberId = sales.Id })).ShouldBe(HttpStatusCode.NoContent);
        Assert.Equal("070-4444-5555", (await owner.Api.GetFromJsonAsync<PresentedDto>(presentedUrl, BusinessApi.Json))!.NumberDisplay);

        // Deleting the member's number sends their calls back to the default; deleting that leaves none.
        await owner.Api.DeleteAsync($"{CallerNumberCalls.Base(business.Id)}/{sales.Id}");
        Assert.Equal("02-555-1234", (await owner.Api.GetFromJsonAsync<PresentedDto>(presentedUrl, BusinessApi.Json))!.NumberDisplay);
        await owner.Api.DeleteAsync($"{CallerNumberCalls.Base(business.Id)}/{headOffice.Id}");
        Assert.Null((await owner.Api.GetFromJsonAsync<PresentedDto>(presentedUrl, BusinessApi.Json))!.Number);

        // Another business's approved number cannot be borrowed.
        var other = await app.PersonAsync("남");
        var otherBusiness = await other.CreateBusinessAsync("남의가게", "02-444-5555");
        var theirs = await app.ApprovedNumberAsync(other, otherBusiness.Id, "02-333-4444");
        await (await owner.Api.PutAsJsonAsync(defaultUrl, new { callerNumberId = theirs.Id })).ShouldBeProblem(HttpStatusCode.NotFound, "caller_number_not_found");
    }
}
