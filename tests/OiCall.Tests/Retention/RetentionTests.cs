using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.CallerNumbers;
using OiCall.Tests.Support;
using OiCall.Tests.Telephony;
using OiCall.Web.Data;
using OiCall.Web.Features.Retention;
using OiCall.Web.Features.Telephony;
using OiCall.Web.Infrastructure;

namespace OiCall.Tests.Retention;

/// <summary>
/// 통신사실확인자료: every call leaves sealed records the service cannot read, the dialled number is
/// nowhere else, records go when their period ends, and only the operator's tool opens them.
/// </summary>
public sealed class RetentionTests
{
    private const string Dialled = "031-777-8888", DialledE164 = "+82317778888";

    internal sealed record Setup(TestApp App, HttpClient Edge, Person Owner, BusinessDto Business, MemberDto Member, string SipUsername);

    internal static async Task<Setup> SetUpAsync(DatabaseProvider provider, Dictionary<string, string?>? settings = null)
    {
        var app = await TestApp.StartAsync(provider, settings);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("보관상사");
        var member = await owner.AddMemberAsync(business.Id, "영업", "010-3131-4242");
        var number = await app.ApprovedNumberAsync(owner, business.Id, "02-555-1234");
        await (await owner.Api.PutAsJsonAsync($"{CallerNumberCalls.Base(business.Id)}/default", new { callerNumberId = number.Id })).ShouldBe(HttpStatusCode.NoContent);
        await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, 30)).Single());
        await (await owner.AllocateAsync(business.Id, member.Id, 1800)).ShouldBe(HttpStatusCode.OK);
        var issued = await owner.Api.PostAsync($"/api/v1/businesses/{business.Id}/members/{member.Id}/sip-password", null);
        await issued.ShouldBe(HttpStatusCode.OK);
        var edge = app.Client();
        edge.DefaultRequestHeaders.Add(TelephonyApi.SecretHeader, TelephonyApi.EdgeSecret(app.Services.GetRequiredService<ServerSecrets>()));
        return new Setup(app, edge, owner, business, member, (await issued.Content.ReadFromJsonAsync<SipSettingsDto>(BusinessApi.Json))!.Username);
    }

    internal static async Task<DecisionDto> CallAsync(Setup s, string callId, string dialled = Dialled, long spoken = 75, string? source = "203.0.113.7")
    {
        var response = await s.Edge.PostAsJsonAsync("/telephony/v1/calls/authorize", new { callId, username = s.SipUsername, dialled, source });
        await response.ShouldBe(HttpStatusCode.OK);
        var decision = (await response.Content.ReadFromJsonAsync<DecisionDto>(BusinessApi.Json))!;
        if (decision.Code == 200)
            await (await s.Edge.PostAsJsonAsync("/telephony/v1/calls/end", new { callId, answered = true, durationSeconds = spoken, endedBy = "caller" })).ShouldBe(HttpStatusCode.OK);
        return decision;
    }

    private static async Task<List<RetentionRecord>> RecordsAsync(TestApp app)
    {
        await using var db = app.Db();
        return await db.RetentionRecords.AsNoTracking().OrderBy(r => r.Id).ToListAsync();
    }

    private static CallFacts Open(TestApp app, RetentionRecord record) =>
        CallFacts.FromPlaintext(Sodium.SealedPublicKeyBox.Open(record.Sealed, app.RetentionPrivateKey, app.RetentionPublicKey));

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_call_is_sealed_as_its_setup_and_its_end_and_its_dialled_number_is_nowhere_in_clear(DatabaseProvider provider)
    {
        // Everything the service logs, at every level, is captured.
        var s = await SetUpAsync(provider, new()
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Trace",
        });
        await using var _ = s.App;
        Assert.Equal(200, (await CallAsync(s, "sealed-1@edge")).Code);
        // Retransmitted setup and repeated end report: nothing more is sealed.
        await CallAsync(s, "sealed-1@edge");

        var records = await RecordsAsync(s.App);
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.Equal(TestApp.RetentionKeyId, r.KeyId));
        // The length tells nothing: one padded block each.
        Assert.All(records, r => Assert.Equal(CallFacts.PaddedBlock + 48, r.Sealed.Length));
        var setup = Open(s.App, records[0]);
        var end = Open(s.App, records[1]);
        var started = s.App.Clock.GetUtcNow().UtcDateTime;
        Assert.Equal((CallFactKind.Setup, "sealed-1@edge", CallDirection.Outbound, "+8225551234", DialledE164, "203.0.113.7"),
            (setup.Kind, setup.CallId, setup.Direction, setup.From, setup.To, setup.MemberAddress));
        Assert.Equal((s.Business.Id, s.Member.Id, started), (setup.BusinessId!.Value, setup.MemberId!.Value, setup.StartedAt!.Value));
        Assert.Equal("127.0.0.1:5060/UDP", setup.Edge);
        Assert.Equal((CallFactKind.End, "sealed-1@edge", 75L, started - TimeSpan.FromSeconds(75), started, "Answered"),
            (end.Kind, end.CallId, end.DurationSeconds!.Value, end.AnsweredAt!.Value, end.EndedAt!.Value, end.Outcome));
        // In clear: the key and the Korean day it is deleted (a year and a day later), not the call's time.
        Assert.All(records, r => Assert.Equal(new DateTime(2027, 11, 25, 15, 0, 0, DateTimeKind.Utc), r.ExpiresAt));

        // The dialled number in any spelling is nowhere in the logs, nor in the database (bytes of the SQLite file and its WAL).
        string[] spellings = ["317778888", "031-777-8888", "7778888", "777-8888"];
        var log = s.App.ServerLog.Text;
        Assert.Contains("/telephony/v1/calls/authorize", log); // the capture did see the call
        foreach (var spelling in spellings) Assert.DoesNotContain(spelling, log);
        if (provider == DatabaseProvider.Sqlite)
        {
            SqliteConnection.ClearAllPools();
            var bytes = Directory.GetFiles(s.App.DataDirectory, "oicall.db*").SelectMany(File.ReadAllBytes).ToArray();
            Assert.True(bytes.Length > 0);
            foreach (var spelling in spellings)
            {
                Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(spelling)));
                Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(spelling)));
            }
        }
        else
        {
            // Every text of every row of every table, as PostgreSQL writes it out.
            await using var db = s.App.Db();
            var dump = await db.Database.SqlQueryRaw<string>("""
                SELECT string_agg(query_to_xml(format('SELECT * FROM %I', table_name), true, false, '')::text, ' ') AS "Value"
                FROM information_schema.tables WHERE table_schema = 'public'
                """).SingleAsync();
            Assert.Contains("sealed-1@edge", dump);
            foreach (var spelling in spellings) Assert.DoesNotContain(spelling, dump);
        }
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task An_inbound_call_is_sealed_with_the_calling_number_and_who_answered(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider);
        await using var _ = s.App;
        await (await s.Owner.Api.PutAsJsonAsync($"/api/v1/businesses/{s.Business.Id}/ring-group", new { mode = "ringAll", ringSeconds = 20, memberIds = new[] { s.Member.Id } }))
            .ShouldBe(HttpStatusCode.OK);
        var routed = await s.Edge.PostAsJsonAsync("/telephony/v1/calls/inbound", new { callId = "in-1", dialled = "02-555-1234", from = "010-9999-8765" });
        await routed.ShouldBe(HttpStatusCode.OK);
        await (await s.Edge.PostAsJsonAsync("/telephony/v1/calls/inbound", new { callId = "in-1", dialled = "02-555-1234", from = "010-9999-8765" })).ShouldBe(HttpStatusCode.OK);
        await (await s.Edge.PostAsJsonAsync("/telephony/v1/calls/inbound/end", new { callId = "in-1", answeredBy = s.SipUsername, durationSeconds = 40, endedBy = "caller" }))
            .ShouldBe(HttpStatusCode.OK);

        var records = await RecordsAsync(s.App);
        Assert.Equal(2, records.Count);
        var setup = Open(s.App, records[0]);
        var end = Open(s.App, records[1]);
        Assert.Equal((CallFactKind.Setup, CallDirection.Inbound, "010-9999-8765", "+8225551234"), (setup.Kind, setup.Direction, setup.From, setup.To));
        Assert.Equal((CallFactKind.End, s.Member.Id, 40L, "Answered"), (end.Kind, end.MemberId!.Value, end.DurationSeconds!.Value, end.Outcome));
    }

    [Fact]
    public async Task Without_a_configured_key_no_call_goes_through_and_no_time_is_held()
    {
        var s = await SetUpAsync(DatabaseProvider.Sqlite, new() { ["Retention:PublicKey"] = "", ["Retention:KeyId"] = "" });
        await using var _ = s.App;
        var decision = await CallAsync(s, "no-key");
        Assert.Equal((503, 0L), (decision.Code, decision.GrantedSeconds));
        var balance = await s.Owner.Api.GetFromJsonAsync<JsonElement>($"/api/v1/businesses/{s.Business.Id}/members/{s.Member.Id}/balance");
        Assert.Equal((1800, 0), (balance.GetProperty("seconds").GetInt64(), balance.GetProperty("heldSeconds").GetInt64()));
        Assert.Empty(await RecordsAsync(s.App));
        var routed = await s.Edge.PostAsJsonAsync("/telephony/v1/calls/inbound", new { callId = "in-no-key", dialled = "02-555-1234", from = "010-9999-8765" });
        Assert.Equal(503, (await routed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Outside_Development_the_service_does_not_start_without_a_key()
    {
        var options = new RetentionOptions();
        Assert.NotNull(options.Problem(keyRequired: true));
        Assert.Null(options.Problem(keyRequired: false));
        Assert.NotNull(new RetentionOptions { PublicKey = "c2hvcnQ=", KeyId = "k" }.Problem(keyRequired: false));
        Assert.NotNull(new RetentionOptions { PublicKey = Convert.ToBase64String(new byte[32]), KeyId = "bad id" }.Problem(keyRequired: false));
        Assert.NotNull(new RetentionOptions { Months = 3 }.Problem(keyRequired: false));
        Assert.Null(new RetentionOptions { PublicKey = Convert.ToBase64String(new byte[32]), KeyId = "2026-12" }.Problem(keyRequired: true));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Records_are_purged_by_the_background_job_when_their_period_ends_and_not_before(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider);
        await using var _ = s.App;
        await CallAsync(s, "older");
        s.App.Clock.Advance(TimeSpan.FromDays(20));
        await CallAsync(s, "younger");
        var records = await RecordsAsync(s.App);
        Assert.Equal(4, records.Count);
        var olderExpiry = records.Where(r => Open(s.App, r).CallId == "older").Select(r => r.ExpiresAt).Distinct().Single();

        // A minute before the older call's period ends (the job runs hourly, and it did): nothing goes.
        s.App.Clock.SetUtcNow(olderExpiry - TimeSpan.FromMinutes(1));
        await Task.Delay(500);
        Assert.Equal(4, (await RecordsAsync(s.App)).Count);

        // Past its end, the job's next round deletes the older call's records and only those.
        s.App.Clock.Advance(TimeSpan.FromHours(1));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await RecordsAsync(s.App)).Count == 4 && DateTime.UtcNow < deadline) await Task.Delay(100);
        var left = await RecordsAsync(s.App);
        Assert.Equal(["younger", "younger"], left.Select(r => Open(s.App, r).CallId));
        Assert.All(left, r => Assert.True(r.ExpiresAt > s.App.Clock.GetUtcNow().UtcDateTime));
    }

    [Fact]
    public void The_period_ends_at_the_start_of_the_Korean_day_after_it()
    {
        // 2026-03-31 23:30 in Seoul: twelve months later is 2027-03-31, deleted at 2027-04-01 00:00 KST.
        var utc = new DateTime(2026, 3, 31, 14, 30, 0, DateTimeKind.Utc);
        Assert.Equal(new DateTime(2027, 3, 31, 15, 0, 0, DateTimeKind.Utc), RetentionStore.ExpiryOf(utc, 12));
        // Six months from 31 August: 28 February (no 31st), deleted when 1 March begins in Seoul.
        Assert.Equal(new DateTime(2027, 2, 28, 15, 0, 0, DateTimeKind.Utc), RetentionStore.ExpiryOf(new DateTime(2026, 8, 31, 3, 0, 0, DateTimeKind.Utc), 6));
    }
}
