using System.Net;
using System.Net.Http.Json;
using OiCall.Tests.CallerNumbers;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Security;

/// <summary>Limits on one-time codes that stop guessing without locking people out.</summary>
public sealed class CodeLimitTests
{
    private const string Phone = "010-4321-8765";

    private static async Task<CodeSent> SendAsync(HttpClient client, string identifier)
    {
        var response = await client.SendLoginCodeAsync(identifier);
        await response.ShouldBe(HttpStatusCode.Accepted);
        return (await response.Content.ReadFromJsonAsync<CodeSent>())!;
    }

    private static string Wrong(string right, int i) => ((int.Parse(right) + 1 + i) % 1_000_000).ToString("D6");

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Twenty_wrong_codes_in_a_day_stop_the_account_until_the_day_has_passed(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        await app.SignUpAsync("hong", "홍길동", Phone);

        // Four codes, five wrong tries each, spread so the per-number send limit never applies.
        CodeSent? last = null;
        for (var round = 0; round < 4; round++)
        {
            last = await SendAsync(app.Client(), "hong");
            var right = app.LastCodeTo(Phone)!;
            for (var i = 0; i < 5; i++)
                await (await app.Client().VerifyAsync(last.ChallengeId, Wrong(right, i))).ShouldBeProblem(HttpStatusCode.BadRequest, "code_rejected");
            app.Clock.Advance(TimeSpan.FromMinutes(11));
        }

        var refused = await app.Client().SendLoginCodeAsync("hong");
        await refused.ShouldBeProblem(HttpStatusCode.TooManyRequests, "too_many_failed_codes");
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalHours, 22, 24);
        // By the number as well as by the ID: both are the same account.
        await (await app.Client().SendLoginCodeAsync(Phone)).ShouldBeProblem(HttpStatusCode.TooManyRequests, "too_many_failed_codes");

        app.Clock.Advance(TimeSpan.FromHours(24));
        await app.LogInAsync("hong", Phone);
    }

    [Fact]
    public async Task A_code_sent_before_the_cap_was_reached_stops_working_with_it()
    {
        await using var app = await TestApp.StartAsync();
        await app.SignUpAsync("hong", "홍길동", Phone);
        var kept = await SendAsync(app.Client(), "hong");
        var keptCode = app.LastCodeTo(Phone)!;
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        for (var round = 0; round < 4; round++)
        {
            var sent = await SendAsync(app.Client(), "hong");
            var right = app.LastCodeTo(Phone)!;
            for (var i = 0; i < 5; i++) await app.Client().VerifyAsync(sent.ChallengeId, Wrong(right, i));
            if (round == 1) app.Clock.Advance(TimeSpan.FromMinutes(2));
        }

        await (await app.Client().VerifyAsync(kept.ChallengeId, keptCode)).ShouldBeProblem(HttpStatusCode.BadRequest, "code_rejected");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Unknown_ids_reach_the_daily_cap_like_known_ones(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        for (var round = 0; round < 4; round++)
        {
            var sent = await SendAsync(app.Client(), "ghost");
            for (var i = 0; i < 5; i++) await app.Client().VerifyAsync(sent.ChallengeId, $"12345{i}");
            app.Clock.Advance(TimeSpan.FromMinutes(11));
        }
        await (await app.Client().SendLoginCodeAsync("ghost")).ShouldBeProblem(HttpStatusCode.TooManyRequests, "too_many_failed_codes");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_stranger_asking_for_caller_number_codes_to_someones_number_does_not_block_their_login(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        await app.SignUpAsync("victim", "피해자", Phone);
        var stranger = await app.PersonAsync("낯선사람");
        var business = await stranger.CreateBusinessAsync("낯선가게");

        var number = await stranger.RegisterNumberAsync(business.Id, Phone);
        for (var i = 0; i < 4; i++)
            await (await stranger.Api.PostAsync($"{CallerNumberCalls.Base(business.Id)}/{number.Id}/code", null)).ShouldBe(HttpStatusCode.Accepted);
        var sixth = await stranger.Api.PostAsync($"{CallerNumberCalls.Base(business.Id)}/{number.Id}/code", null);
        await sixth.ShouldBeProblem(HttpStatusCode.TooManyRequests, "too_many_code_requests");

        // Sign-up attempts with the number are counted on their own too.
        for (var i = 0; i < 6; i++) await app.Client().PostAsJsonAsync("/api/v1/accounts", new { loginId = $"squat{i}x", name = "가짜", phone = Phone });

        await app.LogInAsync("victim", Phone);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_whole_office_behind_one_address_logs_in_on_a_monday_morning(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        const int staff = 30;
        for (var i = 0; i < staff; i++) await app.SignUpAsync($"staff{i:D2}", $"직원{i}", $"010-7100-{i:D4}");
        app.Clock.Advance(TimeSpan.FromDays(3));

        var office = app.Client("203.0.113.50");
        for (var i = 0; i < staff; i++)
        {
            await app.LogInAsync($"staff{i:D2}", $"010-7100-{i:D4}", office);
            app.Clock.Advance(TimeSpan.FromSeconds(40));
        }
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task The_per_ip_limit_counts_an_ipv6_slash_64_as_one_address(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        for (var i = 0; i < 40; i++)
            await (await app.Client($"2001:db8:7:9::{i + 1:x}").SendLoginCodeAsync($"someone{i}")).ShouldBe(HttpStatusCode.Accepted);

        await (await app.Client("2001:db8:7:9:ffff:1:2:3").SendLoginCodeAsync("someone99")).ShouldBeProblem(HttpStatusCode.TooManyRequests, "too_many_code_requests");
        // The neighbouring /64 is someone else.
        await (await app.Client("2001:db8:7:a::1").SendLoginCodeAsync("someone99")).ShouldBe(HttpStatusCode.Accepted);
    }
}
