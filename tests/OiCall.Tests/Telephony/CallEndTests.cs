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
/// Call end → settle at its edges: a hold that expires (its edge was lost) is charged its grant
/// once and a late report changes nothing, and a call's settle and its record never disagree.
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
    public async Task A_hold_that_expires_is_charged_its_slice_once_and_a_late_report_changes_nothing(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider);
        await using var _ = s.App;
        var slice = new SipOptions().SliceSeconds;
        Assert.Equal(slice, (await AuthorizeAsync(s.Edge, "late", s.Sip.Username, "0212345678")).GrantedSeconds);
        await ExpireAsync(s.App, slice);
        // Its edge was lost: every granted second may have been spoken at the carrier.
        Assert.Equal((600 - slice, 0), await WalletAsync(s));
        await using (var db = s.App.Db())
        {
            var lost = await db.CallRecords.SingleAsync();
            Assert.Equal((CallOutcome.Lost, slice, CallRecord.EndedByEdgeLoss), (lost.Outcome, lost.BilledSeconds, lost.EndedBy));
        }

        // The edge replays a spooled report after all: 20 at once, then again. The charge stands, once.
        var reports = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => EndAsync(s.Edge, "late", true, 75)));
        Assert.All(reports, settled => Assert.False(settled));
        Assert.False(await EndAsync(s.Edge, "late", true, 500));
        await ExpireAsync(s.App, 0);

        Assert.Equal((600 - slice, 0), await WalletAsync(s));
        await using var check = s.App.Db();
        var record = await check.CallRecords.SingleAsync();
        Assert.Equal((CallOutcome.Lost, slice, CallRecord.EndedByEdgeLoss), (record.Outcome, record.BilledSeconds, record.EndedBy));
        var hold = await check.CallHolds.SingleAsync();
        Assert.Equal((HoldState.Expired, slice), (hold.State, hold.SettledSeconds));
        var settle = await check.LedgerEntries.SingleAsync(e => e.IdempotencyKey == "settle:late");
        Assert.Equal((TransferKind.CallSettle, slice), (settle.Kind, settle.Seconds));
        Assert.False(await check.LedgerEntries.AnyAsync(e => e.IdempotencyKey == "release:late"));
        Assert.Equal(0, await check.LedgerAccounts.SumAsync(a => a.Balance));

        // 통화 내역 and the monthly statement show the call as billed its slice; 상세 내역's tabs stay as they were.
        var calls = await s.Owner.Api.GetFromJsonAsync<List<System.Text.Json.JsonElement>>($"/api/v1/businesses/{s.Business.Id}/calls?month=2026-11");
        Assert.Equal(("Lost", slice), (calls!.Single().GetProperty("outcome").GetString(), calls!.Single().GetProperty("billedSeconds").GetInt64()));
        var statement = (await s.Owner.Api.GetFromJsonAsync<StatementDto>($"/api/v1/businesses/{s.Business.Id}/statements/2026-11", BusinessApi.Json))!;
        Assert.Equal((1, slice), (statement.TotalCalls, statement.TotalSeconds));
        var totals = (await (await s.App.OperatorAsync()).GetFromJsonAsync<List<StatementTotalDto>>("/api/v1/operator/statements/2026-11", BusinessApi.Json))!;
        Assert.Equal((1, slice), totals.Where(t => t.BusinessId == s.Business.Id).Select(t => (t.Calls, t.Seconds)).Single());
        var distributions = (await s.Owner.Api.GetFromJsonAsync<HistoryPageDto>($"/api/v1/businesses/{s.Business.Id}/history?tab=Distributions", BusinessApi.Json))!;
        Assert.Equal(["Distribution"], distributions.Lines.Select(l => l.Kind));
        var charges = (await s.Owner.Api.GetFromJsonAsync<HistoryPageDto>($"/api/v1/businesses/{s.Business.Id}/history?tab=Charges", BusinessApi.Json))!;
        Assert.Equal(["CouponCharge"], charges.Lines.Select(l => l.Kind));

        // 통화 내역 says how the call ended and the rule behind its charge.
        var browser = s.App.Client();
        await WebLogin.LogInAsync(s.App, browser, s.Owner.LoginId, s.Owner.Phone);
        var page = await browser.GetStringAsync("/calls?month=2026-11");
        Assert.Contains("통화 서버 장애로 종료 · 받은 구간까지 차감", page);
        Assert.Contains("실제 통화보다 더 차감되는 시간은 최대 한 구간(5분)입니다", page);
    }

    /// <summary>
    /// A failure after the settle, in the record's update (a trigger in the database refuses it, as
    /// a crash would stop it), takes the settle back with it: wallet and record never disagree, and
    /// the repeated report then does both.
    /// </summary>
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_failure_between_the_settle_and_the_record_leaves_neither_changed(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider, settings: Slices(3600));
        await using var _ = s.App;
        await AuthorizeAsync(s.Edge, "in-time", s.Sip.Username, "0212345678");

        await FailRecordUpdatesAsync(s.App, provider, true);
        await EndFailsAsync(s.App, "in-time", 40);
        Assert.Equal((0, 600), await WalletAsync(s));
        await AssertUnsettledAsync(s.App, "in-time", HoldState.Held, CallOutcome.InProgress);

        await FailRecordUpdatesAsync(s.App, provider, false);
        Assert.True(await EndAsync(s.Edge, "in-time", true, 40));
        Assert.Equal((560, 0), await WalletAsync(s));

        // The same for an expiry: rolled back with its record, then charged once.
        var slice = (await AuthorizeAsync(s.Edge, "lost", s.Sip.Username, "0212345678")).GrantedSeconds;
        await FailRecordUpdatesAsync(s.App, provider, true);
        await ExpireAsync(s.App, slice);
        Assert.Equal((560 - slice, slice), await WalletAsync(s));
        await AssertUnsettledAsync(s.App, "lost", HoldState.Held, CallOutcome.InProgress);

        await FailRecordUpdatesAsync(s.App, provider, false);
        await ExpireAsync(s.App, 0);
        Assert.False(await EndAsync(s.Edge, "lost", true, 30));
        Assert.Equal((560 - slice, 0), await WalletAsync(s));
        await using var check = s.App.Db();
        Assert.Equal([("in-time", 40L), ("lost", slice)],
            (await check.CallRecords.OrderBy(r => r.CallId).ToListAsync()).Select(r => (r.CallId, r.BilledSeconds)));
        Assert.Equal(40 + slice, await check.LedgerEntries.Where(e => e.Kind == TransferKind.CallSettle).SumAsync(e => e.Seconds));
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
