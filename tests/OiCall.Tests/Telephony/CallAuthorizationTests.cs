using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.CallerNumbers;
using OiCall.Tests.Support;
using OiCall.Web.Data;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Features.Telephony;
using OiCall.Web.Infrastructure;

namespace OiCall.Tests.Telephony;

public sealed record DecisionDto(int Code, string Reason, string? CallerNumber, string? Destination, long GrantedSeconds);
public sealed record SipSettingsDto(string Username, string Domain, int Port, string Transport, string? Password, DateTime? IssuedAt, string? ProvisioningUri);

/// <summary>The control plane's side of a call: digest credentials, authorization with a hold, and the end report.</summary>
public sealed partial class CallAuthorizationTests
{
    private sealed record Setup(TestApp App, HttpClient Edge, Person Owner, BusinessDto Business, MemberDto Member, SipSettingsDto Sip);

    private static async Task<Setup> SetUpAsync(DatabaseProvider provider = DatabaseProvider.Sqlite, long walletSeconds = 600, bool approvedNumber = true,
        Dictionary<string, string?>? settings = null)
    {
        var app = await TestApp.StartAsync(provider, settings);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("통화상사");
        var member = await owner.AddMemberAsync(business.Id, "영업", "010-3131-4242");
        if (approvedNumber)
        {
            var number = await app.ApprovedNumberAsync(owner, business.Id, "02-555-1234");
            await (await owner.Api.PutAsJsonAsync($"{CallerNumberCalls.Base(business.Id)}/default", new { callerNumberId = number.Id })).ShouldBe(HttpStatusCode.NoContent);
        }
        if (walletSeconds > 0)
        {
            await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, (walletSeconds + 59) / 60)).Single());
            await (await owner.AllocateAsync(business.Id, member.Id, walletSeconds)).ShouldBe(HttpStatusCode.OK);
        }
        var issued = await owner.Api.PostAsync($"/api/v1/businesses/{business.Id}/members/{member.Id}/sip-password", null);
        await issued.ShouldBe(HttpStatusCode.OK);
        var edge = app.Client();
        edge.DefaultRequestHeaders.Add(TelephonyApi.SecretHeader, TelephonyApi.EdgeSecret(app.Services.GetRequiredService<ServerSecrets>()));
        return new Setup(app, edge, owner, business, member, (await issued.Content.ReadFromJsonAsync<SipSettingsDto>(BusinessApi.Json))!);
    }

    private static async Task<DecisionDto> AuthorizeAsync(HttpClient edge, string callId, string username, string dialled)
    {
        var response = await edge.PostAsJsonAsync("/telephony/v1/calls/authorize", new { callId, username, dialled });
        await response.ShouldBe(HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<DecisionDto>(BusinessApi.Json))!;
    }

    private static async Task<bool> EndAsync(HttpClient edge, string callId, bool answered, long durationSeconds, string endedBy = "caller")
    {
        var response = await edge.PostAsJsonAsync("/telephony/v1/calls/end", new { callId, answered, durationSeconds, endedBy });
        await response.ShouldBe(HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<CallEndResponse>(BusinessApi.Json))!.Settled;
    }

    [Fact]
    public async Task The_SIP_password_is_shown_once_and_kept_only_as_HA1()
    {
        var s = await SetUpAsync(walletSeconds: 0, approvedNumber: false);
        await using var _ = s.App;
        Assert.Matches("^oc[0-9]{8}$", s.Sip.Username);
        Assert.Equal(20, s.Sip.Password!.Length);
        Assert.StartsWith($"sip:{s.Sip.Username}:", s.Sip.ProvisioningUri);

        var settings = (await s.Owner.Api.GetFromJsonAsync<SipSettingsDto>($"/api/v1/businesses/{s.Business.Id}/members/{s.Member.Id}/sip-settings", BusinessApi.Json))!;
        Assert.Equal((s.Sip.Username, null), (settings.Username, settings.Password));

        var ha1 = await s.Edge.GetFromJsonAsync<Ha1Response>($"/telephony/v1/credentials/{s.Sip.Username}", BusinessApi.Json);
        Assert.Equal(SipAccounts.Ha1(s.Sip.Username, "127.0.0.1", s.Sip.Password), ha1!.Ha1);
        await using (var db = s.App.Db())
            Assert.DoesNotContain(s.Sip.Password, System.Text.Json.JsonSerializer.Serialize(await db.SipCredentials.ToListAsync()));
        await (await s.Edge.GetAsync("/telephony/v1/credentials/oc00000000")).ShouldBe(HttpStatusCode.NotFound);

        // A reset keeps the username and invalidates the old password.
        var reset = (await (await s.Owner.Api.PostAsync($"/api/v1/businesses/{s.Business.Id}/members/{s.Member.Id}/sip-password", null)).Content.ReadFromJsonAsync<SipSettingsDto>(BusinessApi.Json))!;
        Assert.Equal(s.Sip.Username, reset.Username);
        Assert.NotEqual(ha1.Ha1, (await s.Edge.GetFromJsonAsync<Ha1Response>($"/telephony/v1/credentials/{s.Sip.Username}", BusinessApi.Json))!.Ha1);
    }

    [Fact]
    public async Task The_edge_endpoints_need_the_shared_secret_and_stay_out_of_the_public_document()
    {
        var s = await SetUpAsync(walletSeconds: 0, approvedNumber: false);
        await using var _ = s.App;
        var stranger = s.App.Client();
        await (await stranger.GetAsync($"/telephony/v1/credentials/{s.Sip.Username}")).ShouldBeProblem(HttpStatusCode.Unauthorized, "edge_secret_required");
        stranger.DefaultRequestHeaders.Add(TelephonyApi.SecretHeader, "guess");
        await (await stranger.PostAsJsonAsync("/telephony/v1/calls/authorize", new { callId = "x", username = s.Sip.Username, dialled = "0212345678" }))
            .ShouldBeProblem(HttpStatusCode.Unauthorized, "edge_secret_required");
        Assert.DoesNotContain("/telephony", await stranger.GetStringAsync("/openapi/v1.json"));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task An_allowed_call_presents_the_company_number_and_holds_the_granted_time(DatabaseProvider provider)
    {
        // A slice longer than the wallet: the wallet bounds the grant.
        var s = await SetUpAsync(provider, settings: Slices(3600));
        await using var _ = s.App;

        var decision = await AuthorizeAsync(s.Edge, "call-1@edge", s.Sip.Username, "031-777-8888");
        Assert.Equal((200, "+8225551234", "+82317778888", 600L), (decision.Code, decision.CallerNumber, decision.Destination, decision.GrantedSeconds));
        var balance = await s.Owner.Api.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/businesses/{s.Business.Id}/members/{s.Member.Id}/balance");
        Assert.Equal((0, 600), (balance.GetProperty("seconds").GetInt64(), balance.GetProperty("heldSeconds").GetInt64()));

        // The app retransmits: same answer, nothing more held.
        Assert.Equal(decision, await AuthorizeAsync(s.Edge, "call-1@edge", s.Sip.Username, "031-777-8888"));

        Assert.True(await EndAsync(s.Edge, "call-1@edge", true, 75));
        Assert.False(await EndAsync(s.Edge, "call-1@edge", true, 75));
        balance = await s.Owner.Api.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/businesses/{s.Business.Id}/members/{s.Member.Id}/balance");
        Assert.Equal((525, 0), (balance.GetProperty("seconds").GetInt64(), balance.GetProperty("heldSeconds").GetInt64()));

        // The record keeps who, which number, when and how long — not whom.
        await using var db = s.App.Db();
        var record = await db.CallRecords.SingleAsync();
        Assert.Equal(("+8225551234", 75L, CallOutcome.Answered, (string?)null), (record.CallerNumber, record.BilledSeconds, record.Outcome, record.DialledMasked));
        Assert.Equal("caller", record.EndedBy);
        Assert.NotNull(record.EndedAt);
        Assert.Equal(record.EndedAt - TimeSpan.FromSeconds(75), record.AnsweredAt);
        Assert.DoesNotContain("7778888", System.Text.Json.JsonSerializer.Serialize(record));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Refusals_carry_the_SIP_code_the_edge_answers_with(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider, settings: Slices(3600));
        await using var _ = s.App;

        Assert.Equal(404, (await AuthorizeAsync(s.Edge, "c1", "oc00000000", "0212345678")).Code);
        Assert.Equal(404, (await AuthorizeAsync(s.Edge, "c2", s.Sip.Username, "12")).Code);
        Assert.Equal(403, (await AuthorizeAsync(s.Edge, "c3", s.Sip.Username, "+1 212 555 0100")).Code);
        Assert.Equal(403, (await AuthorizeAsync(s.Edge, "c4", s.Sip.Username, "001-1-212-555-0100")).Code);
        Assert.Equal(403, (await AuthorizeAsync(s.Edge, "c5", s.Sip.Username, "060-700-1234")).Code);

        // The whole wallet held by one call: the next gets 402 until the first ends.
        Assert.Equal(200, (await AuthorizeAsync(s.Edge, "c6", s.Sip.Username, "0212345678")).Code);
        var noMinutes = await AuthorizeAsync(s.Edge, "c7", s.Sip.Username, "0212345678");
        Assert.Equal((402, 0L), (noMinutes.Code, noMinutes.GrantedSeconds));
        await EndAsync(s.Edge, "c6", false, 0);
        Assert.Equal(200, (await AuthorizeAsync(s.Edge, "c8", s.Sip.Username, "0212345678")).Code);

        // Without an approved caller number nobody calls.
        var bare = await SetUpAsync(approvedNumber: false);
        await using var __ = bare.App;
        Assert.Equal(403, (await AuthorizeAsync(bare.Edge, "c9", bare.Sip.Username, "0212345678")).Code);
        await using var db = bare.App.Db();
        Assert.Equal(0, await db.CallHolds.CountAsync());
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_business_that_opted_in_keeps_the_last_four_digits(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider);
        await using var _ = s.App;
        await using (var db = s.App.Db())
            await db.Businesses.Where(b => b.Id == s.Business.Id).ExecuteUpdateAsync(u => u.SetProperty(b => b.KeepDialledDigits, true));
        await AuthorizeAsync(s.Edge, "kept", s.Sip.Username, "031-777-8888");
        await using var check = s.App.Db();
        Assert.Equal("****8888", (await check.CallRecords.SingleAsync()).DialledMasked);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Twenty_simultaneous_calls_never_spend_more_than_the_wallets_and_an_end_report_debits_once(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider, walletSeconds: 300);
        await using var _ = s.App;
        var second = await s.Owner.AddMemberAsync(s.Business.Id, "상담", "010-3131-5353");
        await s.Owner.ChargeAsync(s.Business.Id, (await s.App.IssueCouponsAsync(1, 5)).Single());
        await (await s.Owner.AllocateAsync(s.Business.Id, second.Id, 300)).ShouldBe(HttpStatusCode.OK);
        var secondSip = (await (await s.Owner.Api.PostAsync($"/api/v1/businesses/{s.Business.Id}/members/{second.Id}/sip-password", null)).Content.ReadFromJsonAsync<SipSettingsDto>(BusinessApi.Json))!;

        var decisions = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            AuthorizeAsync(s.Edge, $"burst-{i}", i % 2 == 0 ? s.Sip.Username : secondSip.Username, "0212345678")));
        Assert.Equal(600, decisions.Sum(d => d.GrantedSeconds));
        Assert.All(decisions, d => Assert.Contains(d.Code, new[] { 200, 402 }));

        var granted = Enumerable.Range(0, 20).Where(i => decisions[i].Code == 200).ToList();
        var reports = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => EndAsync(s.Edge, $"burst-{granted[0]}", true, 40)));
        Assert.Single(reports, settled => settled);
        foreach (var i in granted.Skip(1)) await EndAsync(s.Edge, $"burst-{i}", true, 10);

        await using var db = s.App.Db();
        Assert.Equal(40 + 10L * (granted.Count - 1), await db.LedgerEntries.Where(e => e.Kind == TransferKind.CallSettle).SumAsync(e => e.Seconds));
        Assert.Equal(0, await db.LedgerAccounts.SumAsync(a => a.Balance));
    }

    [Fact]
    public async Task Operators_bar_or_allow_destinations_and_suspend_calls()
    {
        var s = await SetUpAsync();
        await using var _ = s.App;
        var operatorApi = await s.App.OperatorAsync();
        var policy = $"/api/v1/operator/businesses/{s.Business.Id}/call-policy";
        await (await s.Owner.Api.PutAsJsonAsync(policy, new { allowInternational = true, allowPremium = true, callsSuspended = false })).ShouldBe(HttpStatusCode.Forbidden);

        await (await operatorApi.PutAsJsonAsync(policy, new { allowInternational = true, allowPremium = false, callsSuspended = false })).ShouldBe(HttpStatusCode.OK);
        var abroad = await AuthorizeAsync(s.Edge, "abroad", s.Sip.Username, "+1 212 555 0100");
        Assert.Equal((200, "+12125550100"), (abroad.Code, abroad.Destination));
        await EndAsync(s.Edge, "abroad", false, 0);
        Assert.Equal(403, (await AuthorizeAsync(s.Edge, "premium", s.Sip.Username, "060-700-1234")).Code);

        await (await operatorApi.PutAsJsonAsync(policy, new { allowInternational = false, allowPremium = false, callsSuspended = true })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(403, (await AuthorizeAsync(s.Edge, "suspended", s.Sip.Username, "0212345678")).Code);
    }

    [Fact]
    public async Task The_edge_is_given_the_dial_plans_E164_number_and_a_Korean_number_through_an_international_prefix_keeps_its_policy()
    {
        var s = await SetUpAsync();
        await using var _ = s.App;
        var operatorApi = await s.App.OperatorAsync();
        await (await operatorApi.PutAsJsonAsync($"/api/v1/operator/businesses/{s.Business.Id}/call-policy",
            new { allowInternational = true, allowPremium = false, callsSuspended = false })).ShouldBe(HttpStatusCode.OK);

        var abroad = await AuthorizeAsync(s.Edge, "via-00700", s.Sip.Username, "00700-1-212-555-0100");
        Assert.Equal((200, "+12125550100"), (abroad.Code, abroad.Destination));
        await EndAsync(s.Edge, "via-00700", false, 0);
        var premium = await AuthorizeAsync(s.Edge, "premium-via-001", s.Sip.Username, "001-82-60-700-1234");
        Assert.Equal((403, "Premium-rate numbers barred"), (premium.Code, premium.Reason));
        var satellite = await AuthorizeAsync(s.Edge, "satellite", s.Sip.Username, "+882 16 000 1234");
        Assert.Equal((403, "International network numbers barred"), (satellite.Code, satellite.Reason));
        Assert.Equal(404, (await AuthorizeAsync(s.Edge, "feature-code", s.Sip.Username, "*23#0212345678")).Code);
        await using var db = s.App.Db();
        Assert.Equal(1, await db.CallHolds.CountAsync());
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_member_has_at_most_two_calls_at_once_unless_the_operator_says_otherwise(DatabaseProvider provider)
    {
        // Each call holds up to the 4-hour maximum: enough in the wallet for four at once.
        var s = await SetUpAsync(provider, walletSeconds: 60_000);
        await using var _ = s.App;
        Assert.Equal(200, (await AuthorizeAsync(s.Edge, "first", s.Sip.Username, "0212345678")).Code);
        Assert.Equal(200, (await AuthorizeAsync(s.Edge, "second", s.Sip.Username, "0212345678")).Code);

        var third = await AuthorizeAsync(s.Edge, "third", s.Sip.Username, "0212345678");
        Assert.Equal((403, "Too many calls at once"), (third.Code, third.Reason));
        // A retransmitted setup of a call already going is not a new call.
        Assert.Equal(200, (await AuthorizeAsync(s.Edge, "second", s.Sip.Username, "0212345678")).Code);

        await EndAsync(s.Edge, "first", true, 10);
        Assert.Equal(200, (await AuthorizeAsync(s.Edge, "third-again", s.Sip.Username, "0212345678")).Code);

        var operatorApi = await s.App.OperatorAsync();
        var policy = $"/api/v1/operator/businesses/{s.Business.Id}/call-policy";
        await (await operatorApi.PutAsJsonAsync(policy, new { allowInternational = false, allowPremium = false, callsSuspended = false, maxCallsPerMember = 3 })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(200, (await AuthorizeAsync(s.Edge, "fourth", s.Sip.Username, "0212345678")).Code);
        Assert.Equal(403, (await AuthorizeAsync(s.Edge, "fifth", s.Sip.Username, "0212345678")).Code);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task The_daily_cap_bounds_each_grant_and_then_refuses_with_a_reason(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider, walletSeconds: 3000);
        await using var _ = s.App;
        var operatorApi = await s.App.OperatorAsync();
        var policy = $"/api/v1/operator/businesses/{s.Business.Id}/call-policy";
        await (await operatorApi.PutAsJsonAsync(policy, new { allowInternational = false, allowPremium = false, callsSuspended = false, dailyCapMinutes = 2 })).ShouldBe(HttpStatusCode.OK);

        var first = await AuthorizeAsync(s.Edge, "capped-1", s.Sip.Username, "0212345678");
        Assert.Equal((200, 120L), (first.Code, first.GrantedSeconds));
        await EndAsync(s.Edge, "capped-1", true, 90);
        // 30 s of the day are left, and the grant says so.
        Assert.Equal(30, (await AuthorizeAsync(s.Edge, "capped-2", s.Sip.Username, "0212345678")).GrantedSeconds);
        await EndAsync(s.Edge, "capped-2", true, 30);

        var refused = await AuthorizeAsync(s.Edge, "capped-3", s.Sip.Username, "0212345678");
        Assert.Equal((403, "Daily call limit reached"), (refused.Code, refused.Reason));

        // Removing the cap (0) lets the wallet decide again.
        await (await operatorApi.PutAsJsonAsync(policy, new { allowInternational = false, allowPremium = false, callsSuspended = false, dailyCapMinutes = 0 })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(200, (await AuthorizeAsync(s.Edge, "uncapped", s.Sip.Username, "0212345678")).Code);
    }

    [Fact]
    public async Task Impossible_limits_are_refused_and_change_nothing()
    {
        var s = await SetUpAsync();
        await using var _ = s.App;
        var operatorApi = await s.App.OperatorAsync();
        var policy = $"/api/v1/operator/businesses/{s.Business.Id}/call-policy";

        await (await operatorApi.PutAsJsonAsync(policy, new { allowInternational = true, allowPremium = false, callsSuspended = false, maxCallsPerMember = 0 }))
            .ShouldBeProblem(HttpStatusCode.BadRequest, "invalid_call_limit");
        await (await operatorApi.PutAsJsonAsync(policy, new { allowInternational = true, allowPremium = false, callsSuspended = false, dailyCapMinutes = -5 }))
            .ShouldBeProblem(HttpStatusCode.BadRequest, "invalid_daily_cap");
        // Neither half-applied the rest of the request.
        Assert.Equal(403, (await AuthorizeAsync(s.Edge, "abroad", s.Sip.Username, "+1 212 555 0100")).Code);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Admins_see_every_members_calls_and_a_member_only_their_own(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider);
        await using var _ = s.App;
        var colleague = await s.App.PersonAsync("동료", "010-3131-9999");
        var colleagueMember = await s.Owner.AddMemberAsync(s.Business.Id, "동료", colleague.Phone);
        var memberPerson = await s.App.PersonAsync("영업", "010-3131-4242");
        await AuthorizeAsync(s.Edge, "mine", s.Sip.Username, "0212345678");
        await EndAsync(s.Edge, "mine", true, 30);

        var all = await s.Owner.Api.GetFromJsonAsync<List<System.Text.Json.JsonElement>>($"/api/v1/businesses/{s.Business.Id}/calls?month=2026-11");
        Assert.Single(all!);
        Assert.Equal(30, all![0].GetProperty("billedSeconds").GetInt64());
        Assert.Empty((await colleague.Api.GetFromJsonAsync<List<System.Text.Json.JsonElement>>($"/api/v1/businesses/{s.Business.Id}/calls?memberId={s.Member.Id}"))!);
        Assert.Single((await memberPerson.Api.GetFromJsonAsync<List<System.Text.Json.JsonElement>>($"/api/v1/businesses/{s.Business.Id}/calls"))!);
        Assert.NotEqual(Guid.Empty, colleagueMember.Id);

        await (await s.Owner.Api.PutAsJsonAsync($"/api/v1/businesses/{s.Business.Id}/call-privacy", new { keepDialledDigits = true })).ShouldBe(HttpStatusCode.OK);
        await AuthorizeAsync(s.Edge, "kept-now", s.Sip.Username, "031-777-8888");
        var calls = await s.Owner.Api.GetFromJsonAsync<List<System.Text.Json.JsonElement>>($"/api/v1/businesses/{s.Business.Id}/calls");
        Assert.Contains(calls!, c => c.GetProperty("dialledMasked").GetString() == "****8888");
    }

    [Fact]
    public async Task The_member_page_issues_the_password_once_with_a_QR_code()
    {
        var s = await SetUpAsync(walletSeconds: 0, approvedNumber: false);
        await using var _ = s.App;
        var browser = s.App.Client();
        await WebLogin.LogInAsync(s.App, browser, s.Owner.LoginId, s.Owner.Phone);
        var page = await browser.GetStringAsync($"/members/{s.Member.Id}");
        Assert.Contains(s.Sip.Username, page);
        Assert.DoesNotContain("data-sip-password", page);

        var reset = await WebLogin.PostFormAsync(browser, $"/members/{s.Member.Id}", page, "sip-password", []);
        var html = await reset.Content.ReadAsStringAsync();
        Assert.Contains("data-sip-password", html);
        Assert.Contains("<svg", html);
        Assert.DoesNotContain("data-sip-password", await browser.GetStringAsync($"/members/{s.Member.Id}"));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_call_whose_end_never_comes_is_charged_its_slice_after_the_grace(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider);
        await using var _ = s.App;
        var slice = (await AuthorizeAsync(s.Edge, "silent", s.Sip.Username, "0212345678")).GrantedSeconds;
        Assert.Equal(new SipOptions().SliceSeconds, slice);
        s.App.Clock.Advance(TimeSpan.FromSeconds(slice) + CallHold.Grace - TimeSpan.FromSeconds(1));
        await LedgerHousekeeping.RunOnceAsync(s.App.Services.GetRequiredService<IServiceScopeFactory>(), CancellationToken.None);
        await using (var db = s.App.Db())
            Assert.Equal(HoldState.Held, (await db.CallHolds.SingleAsync()).State);

        s.App.Clock.Advance(TimeSpan.FromSeconds(2));
        await LedgerHousekeeping.RunOnceAsync(s.App.Services.GetRequiredService<IServiceScopeFactory>(), CancellationToken.None);
        await using var after = s.App.Db();
        var record = await after.CallRecords.SingleAsync();
        Assert.Equal((CallOutcome.Lost, slice, CallRecord.EndedByEdgeLoss), (record.Outcome, record.BilledSeconds, record.EndedBy));
        Assert.Equal(600 - slice, await after.LedgerAccounts.Where(a => a.Kind == LedgerAccountKind.MemberWallet).SumAsync(a => a.Balance));
        // A report that finally arrives changes nothing (more in CallEndTests).
        Assert.False(await EndAsync(s.Edge, "silent", true, 30));
    }
}
