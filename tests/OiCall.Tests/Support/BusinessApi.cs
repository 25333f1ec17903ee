using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OiCall.Tests.Support;

public sealed record BusinessDto(Guid Id, string Name, string MainNumber, string MainNumberDisplay, string MainNumberState,
    string MainNumberStateLabel, string? MainNumberRejectReason, string MyRole, bool IsCurrent, int MemberCount);
public sealed record MemberDto(Guid Id, string Name, string Phone, string PhoneDisplay, string Role, DateTime CreatedAt);
public sealed record ImportRowDto(int Line, string Name, string Phone, string? PhoneDisplay, string Outcome, string Reason);
public sealed record ImportDto(bool Preview, int Added, int Skipped, List<ImportRowDto> Rows);
public sealed record VerificationDto(string State, string StateLabel, Guid? ChallengeId, DateTime? ExpiresAt, string Message);

/// <summary>A person with a logged-in API client.</summary>
public sealed record Person(string LoginId, string Name, string Phone, HttpClient Api, Guid AccountId);

public static class BusinessApi
{
    private static int _people;

    /// <summary>Signs a new person up and returns their API client.</summary>
    public static async Task<Person> PersonAsync(this TestApp app, string name, string? phone = null)
    {
        var n = Interlocked.Increment(ref _people);
        phone ??= $"010-{5000 + n % 4000:D4}-{n * 37 % 10000:D4}";
        var loginId = $"user{n}x{Random.Shared.Next(1000, 9999)}";
        var token = await app.SignUpAsync(loginId, name, phone);
        return new Person(loginId, name, phone, app.Client().WithToken(token.AccessToken), token.Account.Id);
    }

    public static async Task<BusinessDto> CreateBusinessAsync(this Person owner, string name, string mainNumber = "02-2038-0995")
    {
        var response = await owner.Api.PostAsJsonAsync("/api/v1/businesses", new { name, mainNumber });
        await response.ShouldBe(HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<BusinessDto>(Json))!;
    }

    /// <summary>A business whose mobile main number is verified by its code (only such a business texts invites).</summary>
    public static async Task<BusinessDto> CreateVerifiedBusinessAsync(this Person owner, TestApp app, string name, string mobileMainNumber)
    {
        var business = await owner.CreateBusinessAsync(name, mobileMainNumber);
        var requested = await owner.Api.PostAsync($"/api/v1/businesses/{business.Id}/main-number/verification", null);
        await requested.ShouldBe(HttpStatusCode.Accepted);
        var sent = (await requested.Content.ReadFromJsonAsync<VerificationDto>(Json))!;
        var confirmed = await owner.Api.PostAsJsonAsync($"/api/v1/businesses/{business.Id}/main-number/verification/confirm",
            new { challengeId = sent.ChallengeId, code = app.LastCodeTo(mobileMainNumber) });
        await confirmed.ShouldBe(HttpStatusCode.OK);
        return business;
    }

    public static async Task<MemberDto> AddMemberAsync(this Person admin, Guid businessId, string name, string phone)
    {
        var response = await admin.Api.PostAsJsonAsync($"/api/v1/businesses/{businessId}/members", new { name, phone });
        await response.ShouldBe(HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<MemberDto>(Json))!;
    }

    public static async Task<List<MemberDto>> MembersAsync(this Person admin, Guid businessId, string? search = null)
    {
        var url = $"/api/v1/businesses/{businessId}/members" + (search is null ? "" : $"?search={Uri.EscapeDataString(search)}");
        return (await admin.Api.GetFromJsonAsync<List<MemberDto>>(url, Json))!;
    }

    public static async Task<List<BusinessDto>> BusinessesAsync(this Person person) =>
        (await person.Api.GetFromJsonAsync<List<BusinessDto>>("/api/v1/businesses", Json))!;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
