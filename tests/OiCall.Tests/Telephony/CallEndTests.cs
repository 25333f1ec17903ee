using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.Ledger;
using OiCall.Tests.Support;
using OiCall.Web.Data;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Features.Telephony;

namespace OiCall.Tests.Telephony;

/// <summary>
/// Call end → settle at its edges: a report that comes after the hold expired still bills
/// the call once (as far as the wallet has time), and a call's settle and its record never disagree.
/// </summary>
public sealed partial class CallAuthorizationTests
{
    /// <summary>Past the hold's granted time plus grace, with the housekeeping round that expires it.</summary>
    private static async Task ExpireAsync(TestApp app, long grantedSeconds)
    {
        app.Clock.Advance(TimeSpan.FromSeconds(grantedSeconds) + CallHold.Grace + TimeSpan.FromSeconds(1));
        await LedgerHousekeeping.RunOnceAsync(app.Services.GetRequiredService<IServiceScopeFactory>(), CancellationToken.None);
    }

    private static async Task<(long Free, long Held)> WalletAsync(Setup s)
    {
        var balance = await s.Owner.Api.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/businesses/{s.Business.Id}/members/{s.Member.Id}/balance");
        return (balance.GetProperty("seconds").GetInt64(), balance.GetProperty("heldSeconds").GetInt64());
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_report_after_the_hold_expired_debits_the_spoken_seconds_once(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider);
        await using var _ = s.App;
        Assert.Equal(600, (await AuthorizeAsync(s.Edge, "late", s.Sip.Username, "0212345678")).GrantedSeconds);
        await ExpireAsync(s.App, 600);
        await using (var db = s.App.Db())
            Assert.Equal(CallOutcome.Lost, (await db.CallRecords.SingleAsync()).Outcome);
        Assert.Equal((600, 0), await WalletAsync(s));

        // The edge replays its spooled report: 20 at once, then again (another duration changes nothing either).
        var reports = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => EndAsync(s.Edge, "late", true, 75)));
        Assert.Single(reports, settled => settled);
        Assert.False(await EndAsync(s.Edge, "late", true, 75));
        Assert.False(await EndAsync(s.Edge, "late", true, 500));
        // Housekeeping again does not mark it Lost.
        await ExpireAsync(s.App, 0);

        Assert.Equal((525, 0), await WalletAsync(s));
        await using var check = s.App.Db();
        var record = await check.CallRecords.SingleAsync();
        Assert.Equal((CallOutcome.Answered, 75L, "caller"), (record.Outcome, record.BilledSeconds, record.EndedBy));
        var hold = await check.CallHolds.SingleAsync();
        Assert.Equal((HoldState.Settled, 75L), (hold.State, hold.SettledSeconds));
        var settle = await check.LedgerEntries.SingleAsync(e => e.IdempotencyKey == "settle:late");
        Assert.Equal((TransferKind.LateCallSettle, 75L, 525L), (settle.Kind, settle.Seconds, settle.FromBalanceAfter));
        Assert.Equal(1, await check.LedgerEntries.CountAsync(e => e.Kind == TransferKind.LateCallSettle || e.Kind == TransferKind.CallSettle));
        Assert.Equal(0, await check.LedgerAccounts.SumAsync(a => a.Balance));

        // 통화 내역 and the monthly statement show the call as billed; 상세 내역's tabs stay as they were.
        var calls = await s.Owner.Api.GetFromJsonAsync<List<System.Text.Json.JsonElement>>($"/api/v1/businesses/{s.Business.Id}/calls?month=2026-11");
        Assert.Equal(("Answered", 75L), (calls!.Single().GetProperty("outcome").GetString(), calls!.Single().GetProperty("billedSeconds").GetInt64()));
        var statement = (await s.Owner.Api.GetFromJsonAsync<StatementDto>($"/api/v1/businesses/{s.Business.Id}/statements/2026-11", BusinessApi.Json))!;
        Assert.Equal((1, 75L), (statement.TotalCalls, statement.TotalSeconds));
        var totals = (await (await s.App.OperatorAsync()).GetFromJsonAsync<List<StatementTotalDto>>("/api/v1/operator/statements/2026-11", BusinessApi.Json))!;
        Assert.Equal((1, 75L), totals.Where(t => t.BusinessId == s.Business.Id).Select(t => (t.Calls, t.Seconds)).Single());
        var distributions = (await s.Owner.Api.GetFromJsonAsync<HistoryPageDto>($"/api/v1/businesses/{s.Business.Id}/history?tab=Distributions", BusinessApi.Json))!;
        Assert.Equal(["Distribution"], distributions.Lines.Select(l => l.Kind));
        var charges = (await s.Owner.Api.GetFromJsonAsync<HistoryPageDto>($"/api/v1/businesses/{s.Business.Id}/history?tab=Charges", BusinessApi.Json))!;
        Assert.Equal(["CouponCharge"], charges.Lines.Select(l => l.Kind));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_late_report_debits_only_the_free_time_and_the_record_bills_that(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider);
        await using var _ = s.App;
        await AuthorizeAsync(s.Edge, "first", s.Sip.Username, "0212345678");
        await ExpireAsync(s.App, 600);
        // While the report was on its way, the admin reclaimed most of the returned time.
        await (await s.Owner.AllocateAsync(s.Business.Id, s.Member.Id, -550)).ShouldBe(HttpStatusCode.OK);

        Assert.True(await EndAsync(s.Edge, "first", true, 75, "edge"));
        Assert.Equal((0, 0), await WalletAsync(s));
        await using (var db = s.App.Db())
        {
            var record = await db.CallRecords.SingleAsync(r => r.CallId == "first");
            Assert.Equal((CallOutcome.TimedOut, 50L), (record.Outcome, record.BilledSeconds));
            Assert.Equal(50, (await db.CallHolds.SingleAsync(h => h.CallId == "first")).SettledSeconds);
            var settle = await db.LedgerEntries.SingleAsync(e => e.IdempotencyKey == "settle:first");
            Assert.Equal((TransferKind.LateCallSettle, 50L, 0L), (settle.Kind, settle.Seconds, settle.FromBalanceAfter));
        }

        // All free time held by a call in progress: a late report takes none of it, and says it billed nothing.
        await (await s.Owner.AllocateAsync(s.Business.Id, s.Member.Id, 100)).ShouldBe(HttpStatusCode.OK);
        await AuthorizeAsync(s.Edge, "second", s.Sip.Username, "0212345678");
        await ExpireAsync(s.App, 100);
        Assert.Equal(100, (await AuthorizeAsync(s.Edge, "third", s.Sip.Username, "0212345678")).GrantedSeconds);
        Assert.True(await EndAsync(s.Edge, "second", true, 30));
        Assert.False(await EndAsync(s.Edge, "second", true, 30));
        Assert.Equal((0, 100), await WalletAsync(s));
        await using var check = s.App.Db();
        var second = await check.CallRecords.SingleAsync(r => r.CallId == "second");
        Assert.Equal((CallOutcome.Answered, 0L), (second.Outcome, second.BilledSeconds));
        var secondHold = await check.CallHolds.SingleAsync(h => h.CallId == "second");
        Assert.Equal((HoldState.Settled, 0L), (secondHold.State, secondHold.SettledSeconds));
        Assert.Equal(HoldState.Held, (await check.CallHolds.SingleAsync(h => h.CallId == "third")).State);
        Assert.False(await check.LedgerEntries.AnyAsync(e => e.IdempotencyKey == "settle:second"));
        Assert.Equal(0, await check.LedgerAccounts.SumAsync(a => a.Balance));
    }

    /// <summary>
    /// A failure after the settle, in the record's update (a trigger in the database refuses it, as
    /// a crash would stop it), takes the settle back with it: wallet and record never disagree, and
    /// the repeated report then does both.
    /// </summary>
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_failure_between_the_settle_and_the_record_leaves_neither_changed(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider);
        await using var _ = s.App;
        await AuthorizeAsync(s.Edge, "in-time", s.Sip.Username, "0212345678");

        await FailRecordUpdatesAsync(s.App, provider, true);
        await EndFailsAsync(s.App, "in-time", 40);
        Assert.Equal((0, 600), await WalletAsync(s));
        await AssertUnsettledAsync(s.App, "in-time", HoldState.Held, CallOutcome.InProgress);

        await FailRecordUpdatesAsync(s.App, provider, false);
        Assert.True(await EndAsync(s.Edge, "in-time", true, 40));
        Assert.Equal((560, 0), await WalletAsync(s));

        // The same for a late report.
        await AuthorizeAsync(s.Edge, "late", s.Sip.Username, "0212345678");
        await ExpireAsync(s.App, 560);
        await FailRecordUpdatesAsync(s.App, provider, true);
        await EndFailsAsync(s.App, "late", 30);
        Assert.Equal((560, 0), await WalletAsync(s));
        await AssertUnsettledAsync(s.App, "late", HoldState.Expired, CallOutcome.Lost);

        await FailRecordUpdatesAsync(s.App, provider, false);
        Assert.True(await EndAsync(s.Edge, "late", true, 30));
        Assert.False(await EndAsync(s.Edge, "late", true, 30));
        Assert.Equal((530, 0), await WalletAsync(s));
        await using var check = s.App.Db();
        Assert.Equal([("in-time", 40L), ("late", 30L)],
            (await check.CallRecords.OrderBy(r => r.CallId).ToListAsync()).Select(r => (r.CallId, r.BilledSeconds)));
        Assert.Equal(70, await check.LedgerEntries.Where(e => e.Kind == TransferKind.CallSettle || e.Kind == TransferKind.LateCallSettle).SumAsync(e => e.Seconds));
    }

    private static async Task FailRecordUpdatesAsync(TestApp app, DatabaseProvider provider, bool fail)
    {
        await using var db = app.Db();
        await db.Database.ExecuteSqlRawAsync((provider, fail) switch
        {
            (DatabaseProvider.Sqlite, true) => """CREATE TRIGGER "TestCrash" BEFORE UPDATE ON "CallRecords" BEGIN SELECT RAISE(ABORT, 'crash before the record'); END;""",
            (DatabaseProvider.Sqlite, false) => """DROP TRIGGER "TestCrash";""",
            (_, true) => """
                CREATE OR REPLACE FUNCTION test_crash() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'crash before the record'; END $$;
                CREATE TRIGGER "TestCrash" BEFORE UPDATE ON "CallRecords" FOR EACH ROW EXECUTE FUNCTION test_crash();
                """,
            (_, false) => """DROP TRIGGER "TestCrash" ON "CallRecords";""",
        });
    }

    private static async Task EndFailsAsync(TestApp app, string callId, long seconds)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var calls = scope.ServiceProvider.GetRequiredService<CallEnds>();
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => calls.EndAsync(callId, true, seconds, "caller"));
        Assert.Contains("crash before the record", failure.ToString());
    }

    private static async Task AssertUnsettledAsync(TestApp app, string callId, HoldState state, CallOutcome outcome)
    {
        await using var db = app.Db();
        var hold = await db.CallHolds.SingleAsync(h => h.CallId == callId);
        Assert.Equal((state, 0L), (hold.State, hold.SettledSeconds));
        var record = await db.CallRecords.SingleAsync(r => r.CallId == callId);
        Assert.Equal((outcome, 0L), (record.Outcome, record.BilledSeconds));
        Assert.False(await db.LedgerEntries.AnyAsync(e => e.IdempotencyKey == $"settle:{callId}"));
        Assert.Equal(0, await db.LedgerAccounts.SumAsync(a => a.Balance));
    }
}
