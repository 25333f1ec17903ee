using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.Support;
using OiCall.Web.Data;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Features.Telephony;

namespace OiCall.Tests.Telephony;

public sealed record SliceDto(int Code, string Reason, long GrantedSeconds);

/// <summary>
/// Calls granted in slices (Sip:SliceSeconds): the first at authorization, each next one when the
/// edge asks, held from the wallet once per slice, bounded by the wallet (across parallel calls),
/// MaxCallSeconds and the daily cap; an end settles the whole grant's spoken part, an expiry
/// charges all the slices granted.
/// </summary>
public sealed partial class CallAuthorizationTests
{
    private static async Task<SliceDto> SliceAsync(HttpClient edge, string callId, int slice)
    {
        var response = await edge.PostAsJsonAsync("/telephony/v1/calls/slice", new { callId, slice });
        await response.ShouldBe(HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<SliceDto>(BusinessApi.Json))!;
    }

    private static Dictionary<string, string?> Slices(long slice, long maxCall = 4 * 60 * 60) =>
        new() { ["Sip:SliceSeconds"] = slice.ToString(), ["Sip:MaxCallSeconds"] = maxCall.ToString() };

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Slices_are_held_one_after_the_other_as_far_as_the_wallet_goes_and_the_end_settles_them(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider, walletSeconds: 700, settings: Slices(300));
        await using var _ = s.App;
        Assert.Equal(300, (await AuthorizeAsync(s.Edge, "sliced", s.Sip.Username, "0212345678")).GrantedSeconds);
        Assert.Equal((400, 300), await WalletAsync(s));

        Assert.Equal((200, 600L), Code(await SliceAsync(s.Edge, "sliced", 2)));
        // The edge asked again before its answer came: the same answer, nothing held twice.
        Assert.Equal((200, 600L), Code(await SliceAsync(s.Edge, "sliced", 2)));
        Assert.Equal(409, (await SliceAsync(s.Edge, "sliced", 4)).Code);
        Assert.Equal(400, (await SliceAsync(s.Edge, "sliced", 1)).Code);
        Assert.Equal(404, (await SliceAsync(s.Edge, "nobody's", 2)).Code);
        // The last slice is what the wallet has left; then nothing.
        Assert.Equal((200, 700L), Code(await SliceAsync(s.Edge, "sliced", 3)));
        Assert.Equal(402, (await SliceAsync(s.Edge, "sliced", 4)).Code);
        Assert.Equal((0, 700), await WalletAsync(s));
        await using (var db = s.App.Db())
        {
            Assert.Equal(700, (await db.CallRecords.SingleAsync()).GrantedSeconds);
            Assert.Equal([("hold:sliced", 300L), ("hold:sliced#2", 300L), ("hold:sliced#3", 100L)],
                (await db.LedgerEntries.Where(e => e.Kind == TransferKind.CallHold).OrderBy(e => e.Id).ToListAsync()).Select(e => (e.IdempotencyKey!, e.Seconds)));
        }

        // The end settles what was spoken of all three and releases the rest, once; no slice after it.
        Assert.True(await EndAsync(s.Edge, "sliced", true, 650));
        Assert.False(await EndAsync(s.Edge, "sliced", true, 650));
        Assert.Equal((50, 0), await WalletAsync(s));
        Assert.Equal(410, (await SliceAsync(s.Edge, "sliced", 4)).Code);
        Assert.Equal((50, 0), await WalletAsync(s));
        await using var check = s.App.Db();
        Assert.Equal((CallOutcome.Answered, 650L), await check.CallRecords.Select(r => new ValueTuple<CallOutcome, long>(r.Outcome, r.BilledSeconds)).SingleAsync());
        Assert.Equal(0, await check.LedgerAccounts.SumAsync(a => a.Balance));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Twenty_questions_for_one_slice_hold_it_once_and_parallel_calls_share_the_wallet(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider, walletSeconds: 500, settings: Slices(200));
        await using var _ = s.App;
        Assert.Equal(200, (await AuthorizeAsync(s.Edge, "a", s.Sip.Username, "0212345678")).GrantedSeconds);
        Assert.Equal(200, (await AuthorizeAsync(s.Edge, "b", s.Sip.Username, "0212345678")).GrantedSeconds);

        // Both calls ask for their next slice, each 10 times at once: 100 s are free for both.
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => SliceAsync(s.Edge, i % 2 == 0 ? "a" : "b", 2)));
        Assert.Equal(0, (await WalletAsync(s)).Free);
        await using var db = s.App.Db();
        var holds = await db.CallHolds.OrderBy(h => h.CallId).Select(h => h.GrantedSeconds).ToListAsync();
        Assert.Equal(500, holds.Sum());
        Assert.Equal(1, await db.LedgerEntries.CountAsync(e => e.IdempotencyKey!.EndsWith("#2")));
        // Every question of a call got one answer: the grant it has (or 402 for the call that found the wallet empty).
        Assert.All(answers, a => Assert.True(a.Code == 402 || holds.Contains(a.GrantedSeconds), $"{a}"));
        Assert.Equal(0, await db.LedgerAccounts.SumAsync(a => a.Balance));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task No_slice_goes_beyond_MaxCallSeconds_or_the_daily_cap(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider, walletSeconds: 1200, settings: Slices(300, maxCall: 400));
        await using var _ = s.App;
        await AuthorizeAsync(s.Edge, "long", s.Sip.Username, "0212345678");
        Assert.Equal((200, 400L), Code(await SliceAsync(s.Edge, "long", 2)));
        Assert.Equal(403, (await SliceAsync(s.Edge, "long", 3)).Code);
        Assert.True(await EndAsync(s.Edge, "long", true, 400, "edge"));

        // A daily cap of 10 minutes, 400 s used: the next call gets 200 s of slices in all.
        var operatorApi = await s.App.OperatorAsync();
        await (await operatorApi.PutAsJsonAsync($"/api/v1/operator/businesses/{s.Business.Id}/call-policy",
            new { allowInternational = false, allowPremium = false, callsSuspended = false, dailyCapMinutes = 10 })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(200, (await AuthorizeAsync(s.Edge, "capped", s.Sip.Username, "0212345678")).GrantedSeconds);
        Assert.Equal(403, (await SliceAsync(s.Edge, "capped", 2)).Code);
        // A suspended business gets no next slice: its calls end at the slice they have.
        await (await operatorApi.PutAsJsonAsync($"/api/v1/operator/businesses/{s.Business.Id}/call-policy",
            new { allowInternational = false, allowPremium = false, callsSuspended = true, dailyCapMinutes = 0 })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(403, (await SliceAsync(s.Edge, "capped", 2)).Code);
        await using var db = s.App.Db();
        Assert.Equal(200, (await db.CallHolds.SingleAsync(h => h.CallId == "capped")).GrantedSeconds);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task An_extended_hold_expires_after_its_whole_grant_and_is_charged_all_its_slices(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider, walletSeconds: 600, settings: Slices(200));
        await using var _ = s.App;
        await AuthorizeAsync(s.Edge, "gone", s.Sip.Username, "0212345678");
        s.App.Clock.Advance(TimeSpan.FromSeconds(190));
        Assert.Equal((200, 400L), Code(await SliceAsync(s.Edge, "gone", 2)));

        // The edge died after slice 2: past the first slice's expiry the hold is still held (the call may still run)…
        s.App.Clock.Advance(TimeSpan.FromSeconds(10) + CallHold.Grace + TimeSpan.FromSeconds(1));
        await LedgerHousekeeping.RunOnceAsync(s.App.Services.GetRequiredService<IServiceScopeFactory>(), CancellationToken.None);
        Assert.Equal((200, 400), await WalletAsync(s));
        // …and past the whole grant's it is charged both slices, no more: the rest of the wallet was never held.
        s.App.Clock.Advance(TimeSpan.FromSeconds(200));
        await LedgerHousekeeping.RunOnceAsync(s.App.Services.GetRequiredService<IServiceScopeFactory>(), CancellationToken.None);
        Assert.Equal((200, 0), await WalletAsync(s));
        Assert.Equal(410, (await SliceAsync(s.Edge, "gone", 3)).Code);
        await using var db = s.App.Db();
        var record = await db.CallRecords.SingleAsync();
        Assert.Equal((CallOutcome.Lost, 400L, CallRecord.EndedByEdgeLoss), (record.Outcome, record.BilledSeconds, record.EndedBy));
        Assert.Equal(0, await db.LedgerAccounts.SumAsync(a => a.Balance));
    }

    [Fact]
    public async Task Only_the_edge_asks_for_slices_and_a_bad_Call_ID_is_a_clear_400()
    {
        var s = await SetUpAsync(settings: Slices(200));
        await using var _ = s.App;
        await AuthorizeAsync(s.Edge, "mine", s.Sip.Username, "0212345678");
        var stranger = s.App.Client();
        await (await stranger.PostAsJsonAsync("/telephony/v1/calls/slice", new { callId = "mine", slice = 2 })).ShouldBeProblem(HttpStatusCode.Unauthorized, "edge_secret_required");
        await (await s.Owner.Api.PostAsJsonAsync("/telephony/v1/calls/slice", new { callId = "mine", slice = 2 })).ShouldBeProblem(HttpStatusCode.Unauthorized, "edge_secret_required");
        await (await s.Edge.PostAsJsonAsync("/telephony/v1/calls/slice", new { callId = new string('x', SipLimits.MaxCallIdLength + 1), slice = 2 })).ShouldBeProblem(HttpStatusCode.BadRequest, "invalid_call_id");
        Assert.Equal((400, 200), await WalletAsync(s));
    }

    private static (int, long) Code(SliceDto answer) => (answer.Code, answer.GrantedSeconds);
}
