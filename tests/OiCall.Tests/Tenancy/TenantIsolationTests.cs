using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.Support;

namespace OiCall.Tests.Tenancy;

/// <summary>
/// Every route that takes a business or member id, called with someone else's ids. The table is
/// checked against the app's own route list: a new route that is not added here fails the build of trust.
/// </summary>
public sealed partial class TenantIsolationTests
{
    /// <summary>Who may call a route inside their own business.</summary>
    public enum Allowed { AdminOnly, AnyMember, OwnMemberOnly, OperatorOnly }

    public sealed record RouteCase(string Method, string Template, Func<Ids, HttpContent?> Body, Allowed Allowed = Allowed.AdminOnly)
    {
        public override string ToString() => $"{Method} {Template}";
    }

    public sealed record Ids(Guid BusinessId, Guid MemberId, Guid NumberId = default, Guid DocumentId = default);

    private static HttpContent Json(object body) => JsonContent.Create(body);

    private static HttpContent PdfFile()
    {
        var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent("%PDF-1.4 침입"u8.ToArray()), "file", "x.pdf");
        return form;
    }

    private static HttpContent VCardFile()
    {
        var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("BEGIN:VCARD\nFN:침입자\nTEL;TYPE=CELL:010-9876-5432\nEND:VCARD\n")), "file", "x.vcf");
        return form;
    }

    public static readonly RouteCase[] Routes =
    [
        new("GET", "/api/v1/businesses/{businessId}", _ => null, Allowed.AnyMember),
        new("PATCH", "/api/v1/businesses/{businessId}", _ => Json(new { name = "탈취", mainNumber = "02-999-9999" })),
        new("GET", "/api/v1/businesses/{businessId}/deletion", _ => null),
        new("DELETE", "/api/v1/businesses/{businessId}?confirm=true", _ => null),
        new("PUT", "/api/v1/me/current-business", ids => Json(new { businessId = ids.BusinessId }), Allowed.AnyMember),
        new("POST", "/api/v1/businesses/{businessId}/main-number/verification", _ => null),
        new("POST", "/api/v1/businesses/{businessId}/main-number/verification/confirm", _ => Json(new { challengeId = Guid.NewGuid(), code = "123456" })),
        new("GET", "/api/v1/businesses/{businessId}/members", _ => null),
        new("GET", "/api/v1/businesses/{businessId}/members/me", _ => null, Allowed.AnyMember),
        new("POST", "/api/v1/businesses/{businessId}/members", _ => Json(new { name = "침입자", phone = "010-9876-5432" })),
        new("POST", "/api/v1/businesses/{businessId}/members/import?preview=true", _ => VCardFile()),
        new("POST", "/api/v1/businesses/{businessId}/members/import/contacts", _ => Json(new { contacts = new[] { new { name = "침입자", phone = "010-9876-5432" } }, preview = false })),
        new("GET", "/api/v1/businesses/{businessId}/members/{memberId}", _ => null, Allowed.OwnMemberOnly),
        new("PATCH", "/api/v1/businesses/{businessId}/members/{memberId}", _ => Json(new { name = "탈취" })),
        new("PUT", "/api/v1/businesses/{businessId}/members/{memberId}/role", _ => Json(new { role = "admin" })),
        new("DELETE", "/api/v1/businesses/{businessId}/members/{memberId}", _ => null),
        new("GET", "/api/v1/businesses/{businessId}/balance", _ => null),
        new("GET", "/api/v1/businesses/{businessId}/members/{memberId}/balance", _ => null, Allowed.OwnMemberOnly),
        new("POST", "/api/v1/businesses/{businessId}/members/{memberId}/allocations", _ => Json(new { seconds = 60 })),
        new("POST", "/api/v1/businesses/{businessId}/allocations", ids => Json(new { memberIds = new[] { ids.MemberId }, seconds = 60 })),
        new("GET", "/api/v1/businesses/{businessId}/history", _ => null),
        new("POST", "/api/v1/businesses/{businessId}/charges", _ => Json(new { code = "7K3M-Q9XD-2HNR-4TVB-Z" })),
        new("POST", "/api/v1/operator/businesses/{businessId}/main-number/decision", _ => Json(new { approve = true }), Allowed.OperatorOnly),
        new("PUT", "/api/v1/businesses/{businessId}/low-balance-warnings", _ => Json(new { callableMinutes = 1, memberMinutes = 1 })),
        new("GET", "/api/v1/businesses/{businessId}/statements/{month}", _ => null),
        new("GET", "/api/v1/businesses/{businessId}/statements/{month}.csv", _ => null),
        new("PUT", "/api/v1/operator/businesses/{businessId}/plan", _ => Json(new { plan = "Postpaid", monthlyCreditMinutes = 100 }), Allowed.OperatorOnly),
        new("GET", "/api/v1/operator/businesses/{businessId}/statements/{month}", _ => null, Allowed.OperatorOnly),
        new("GET", "/api/v1/operator/businesses/{businessId}/statements/{month}.csv", _ => null, Allowed.OperatorOnly),
        new("GET", "/api/v1/businesses/{businessId}/caller-numbers", _ => null),
        new("POST", "/api/v1/businesses/{businessId}/caller-numbers", _ => Json(new { number = "02-999-8888", name = "침입" })),
        new("GET", "/api/v1/businesses/{businessId}/caller-numbers/{numberId}", _ => null),
        new("POST", "/api/v1/businesses/{businessId}/caller-numbers/{numberId}/code", _ => null),
        new("POST", "/api/v1/businesses/{businessId}/caller-numbers/{numberId}/code/confirm", _ => Json(new { challengeId = Guid.NewGuid(), code = "123456" })),
        new("POST", "/api/v1/businesses/{businessId}/caller-numbers/{numberId}/documents", _ => PdfFile()),
        new("GET", "/api/v1/businesses/{businessId}/caller-numbers/{numberId}/documents/{documentId}", _ => null),
        new("DELETE", "/api/v1/businesses/{businessId}/caller-numbers/{numberId}/documents/{documentId}", _ => null),
        new("POST", "/api/v1/businesses/{businessId}/caller-numbers/{numberId}/submission", _ => null),
        new("DELETE", "/api/v1/businesses/{businessId}/caller-numbers/{numberId}", _ => null),
        new("PUT", "/api/v1/businesses/{businessId}/caller-numbers/default", ids => Json(new { callerNumberId = ids.NumberId })),
        new("PUT", "/api/v1/businesses/{businessId}/members/{memberId}/caller-number", ids => Json(new { callerNumberId = ids.NumberId })),
        new("GET", "/api/v1/businesses/{businessId}/members/{memberId}/caller-number", _ => null, Allowed.OwnMemberOnly),
        new("POST", "/api/v1/businesses/{businessId}/members/{memberId}/sip-password", _ => null),
        new("GET", "/api/v1/businesses/{businessId}/members/{memberId}/sip-settings", _ => null, Allowed.OwnMemberOnly),
        new("GET", "/api/v1/businesses/{businessId}/calls", _ => null, Allowed.AnyMember),
        new("PUT", "/api/v1/businesses/{businessId}/call-privacy", _ => Json(new { keepDialledDigits = true })),
        new("GET", "/api/v1/businesses/{businessId}/ring-group", _ => null, Allowed.AnyMember),
        new("PUT", "/api/v1/businesses/{businessId}/ring-group", ids => Json(new { mode = "hunt", ringSeconds = 20, memberIds = new[] { ids.MemberId } })),
        new("PUT", "/api/v1/operator/businesses/{businessId}/call-policy", _ => Json(new { allowInternational = true, allowPremium = true, callsSuspended = false }), Allowed.OperatorOnly),
    ];

    public static TheoryData<string> RouteNames => new(Routes.Select(r => r.ToString()));

    private sealed record World(TestApp App, Person Owner, Person Outsider, Person Employee, Guid VictimBusiness, Guid VictimMember, Guid EmployeeMember, Guid OutsiderBusiness,
        Guid VictimNumber, Guid VictimDocument)
    {
        public Ids Victim(Guid memberId) => new(VictimBusiness, memberId, VictimNumber, VictimDocument);
    }

    private static async Task<World> BuildAsync()
    {
        var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("피해자사장");
        var outsider = await app.PersonAsync("다른업체사장");
        var employee = await app.PersonAsync("평직원");
        var victim = await owner.CreateBusinessAsync("비밀상사");
        var victimMember = await owner.AddMemberAsync(victim.Id, "비밀직원", "010-2424-3535");
        var employeeMember = await owner.AddMemberAsync(victim.Id, "평직원", employee.Phone);
        var outsiderBusiness = await outsider.CreateBusinessAsync("다른업체", "02-888-7777");
        foreach (var id in new[] { victimMember.Id, employeeMember.Id })
            await (await owner.Api.PostAsync($"/api/v1/businesses/{victim.Id}/members/{id}/sip-password", null)).ShouldBe(HttpStatusCode.OK);
        var number = await CallerNumbers.CallerNumberCalls.RegisterNumberAsync(owner, victim.Id, "02-2424-1111", "비밀번호");
        var document = await (await CallerNumbers.CallerNumberCalls.UploadAsync(owner, victim.Id, number.Id, CallerNumbers.CallerNumberCalls.Pdf, "비밀.pdf"))
            .Content.ReadFromJsonAsync<CallerNumbers.DocumentDto>(BusinessApi.Json);
        return new World(app, owner, outsider, employee, victim.Id, victimMember.Id, employeeMember.Id, outsiderBusiness.Id, number.Id, document!.Id);
    }

    private static HttpRequestMessage Request(RouteCase route, Ids ids) =>
        new(new HttpMethod(route.Method), route.Template.Replace("{businessId}", ids.BusinessId.ToString()).Replace("{memberId}", ids.MemberId.ToString())
            .Replace("{month}", "2026-11")
            .Replace("{numberId}", ids.NumberId.ToString()).Replace("{documentId}", ids.DocumentId.ToString()))
        {
            Content = route.Body(ids),
        };

    private static async Task AssertNothingChangedAsync(World w)
    {
        var members = await w.Owner.MembersAsync(w.VictimBusiness);
        Assert.Equal(["비밀직원", "평직원", "피해자사장"], members.Select(m => m.Name).Order());
        Assert.Equal(["Admin", "Member", "Member"], members.OrderByDescending(m => m.Role == "Admin").Select(m => m.Role));
        var business = (await w.Owner.BusinessesAsync()).Single();
        Assert.Equal(("비밀상사", "02-2038-0995"), (business.Name, business.MainNumberDisplay));
        var number = await CallerNumbers.CallerNumberCalls.GetNumberAsync(w.Owner, w.VictimBusiness, w.VictimNumber);
        Assert.Equal(("AwaitingDocuments", 1), (number.State, number.Documents.Count));
        Assert.Single(await w.Owner.Api.GetFromJsonAsync<List<CallerNumbers.CallerNumberDto>>(CallerNumbers.CallerNumberCalls.Base(w.VictimBusiness), BusinessApi.Json) ?? []);
    }

    [Theory, MemberData(nameof(RouteNames))]
    public async Task Another_business_gets_404_and_learns_nothing(string routeName)
    {
        var route = Routes.Single(r => r.ToString() == routeName);
        var w = await BuildAsync();
        await using var _ = w.App;

        // The victim's business and member ids, and the outsider's own business with the victim's member id.
        foreach (var ids in new[] { w.Victim(w.VictimMember), w.Victim(w.VictimMember) with { BusinessId = w.OutsiderBusiness } })
        {
            if (ids.BusinessId == w.OutsiderBusiness && !route.Template.Contains("{memberId}") && !route.Template.Contains("{numberId}")) continue;
            var response = await w.Outsider.Api.SendAsync(Request(route, ids));
            Assert.Equal(route.Allowed == Allowed.OperatorOnly ? HttpStatusCode.Forbidden : HttpStatusCode.NotFound, response.StatusCode);
            var body = WithoutIds(await response.Content.ReadAsStringAsync());
            Assert.DoesNotContain("비밀", body);
            Assert.DoesNotContain("2424", body);
        }
        await AssertNothingChangedAsync(w);
        Assert.Equal(["다른업체"], (await w.Outsider.BusinessesAsync()).Select(b => b.Name));
    }

    [Theory, MemberData(nameof(RouteNames))]
    public async Task A_plain_member_is_refused_everything_but_their_own(string routeName)
    {
        var route = Routes.Single(r => r.ToString() == routeName);
        var w = await BuildAsync();
        await using var _ = w.App;

        var aboutColleague = await w.Employee.Api.SendAsync(Request(route, w.Victim(w.VictimMember)));
        var aboutSelf = await w.Employee.Api.SendAsync(Request(route, w.Victim(w.EmployeeMember)));

        switch (route.Allowed)
        {
            case Allowed.AdminOnly or Allowed.OperatorOnly:
                Assert.Equal(HttpStatusCode.Forbidden, aboutColleague.StatusCode);
                Assert.Equal(HttpStatusCode.Forbidden, aboutSelf.StatusCode);
                Assert.DoesNotContain("2424", WithoutIds(await aboutColleague.Content.ReadAsStringAsync()));
                break;
            case Allowed.OwnMemberOnly:
                Assert.Equal(HttpStatusCode.NotFound, aboutColleague.StatusCode);
                Assert.DoesNotContain("비밀직원", await aboutColleague.Content.ReadAsStringAsync());
                Assert.Equal(HttpStatusCode.OK, aboutSelf.StatusCode);
                break;
            case Allowed.AnyMember:
                Assert.True(aboutSelf.IsSuccessStatusCode, $"{route} answered {(int)aboutSelf.StatusCode}");
                Assert.DoesNotContain("010-2424-3535", await aboutSelf.Content.ReadAsStringAsync());
                break;
        }
        await AssertNothingChangedAsync(w);
    }

    [Fact]
    public async Task Every_route_with_a_business_or_member_id_is_in_the_table()
    {
        await using var app = await TestApp.StartAsync();
        var known = Routes.Select(r => $"{r.Method} {r.Template.Split('?')[0]}").ToHashSet();

        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && (raw.Contains("{businessId") || raw.Contains("{memberId") || raw.Contains("current-business")))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["ANY"])
                .Select(method => $"{method} /{e.RoutePattern.RawText!.TrimStart('/').Replace(":guid", "").TrimEnd('/')}"))
            .ToList();

        Assert.NotEmpty(routes);
        Assert.All(routes, route => Assert.True(known.Contains(route), $"{route} is not in TenantIsolationTests.Routes"));
    }

    /// <summary>
    /// The body without the ids it echoes (a problem's "instance" is the request path): a random
    /// id contains "2424" often enough to fail a run now and then, and ids are not what leaks.
    /// </summary>
    private static string WithoutIds(string body) => IdPattern().Replace(body, "<id>");

    [System.Text.RegularExpressions.GeneratedRegex("[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")]
    private static partial System.Text.RegularExpressions.Regex IdPattern();
}
