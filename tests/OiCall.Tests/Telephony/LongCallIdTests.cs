using Microsoft.EntityFrameworkCore;
using OiCall.Tests.Support;
using OiCall.Web.Data;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Features.Telephony;

namespace OiCall.Tests.Telephony;

/// <summary>
/// The longest Call-ID the edge lets through is held, expired and settled like any other (its
/// ledger keys fit their column on PostgreSQL), and one hold that cannot expire does not keep the
/// others from expiring.
/// </summary>
public sealed partial class CallAuthorizationTests
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_call_with_the_longest_Call_ID_expires_past_a_broken_hold_and_is_charged_once(DatabaseProvider provider)
    {
        var s = await SetUpAsync(provider);
        await using var _ = s.App;
        var now = s.App.Clock.GetUtcNow().UtcDateTime;
        // A hold whose accounts do not exist (a row damaged by hand): it cannot expire, and it is due first.
        await using (var db = s.App.Db())
        {
            db.CallHolds.Add(new CallHold
            {
                CallId = "broken", BusinessId = s.Business.Id, MemberId = Guid.NewGuid(), GrantedSeconds = 30,
                State = HoldState.Held, CreatedAt = now.AddHours(-1), ExpiresAt = now.AddMinutes(-30),
            });
            await db.SaveChangesAsync();
        }
        var callId = new string('c', SipLimits.MaxCallIdLength - 12) + "@10.1.2.3:99";
        Assert.Equal(SipLimits.MaxCallIdLength, callId.Length);
        var slice = (await AuthorizeAsync(s.Edge, callId, s.Sip.Username, "0212345678")).GrantedSeconds;
        Assert.Equal((600 - slice, slice), await WalletAsync(s));

        // The housekeeping round gets past the broken hold: the call is charged its slice.
        await ExpireAsync(s.App, slice);
        Assert.Equal((600 - slice, 0), await WalletAsync(s));
        await using (var db = s.App.Db())
        {
            Assert.Equal(HoldState.Held, (await db.CallHolds.SingleAsync(h => h.CallId == "broken")).State);
            Assert.Equal(HoldState.Expired, (await db.CallHolds.SingleAsync(h => h.CallId == callId)).State);
            Assert.Equal(CallOutcome.Lost, (await db.CallRecords.SingleAsync(r => r.CallId == callId)).Outcome);
        }

        // Its spooled end comes late, repeated: nothing changes.
        Assert.False(await EndAsync(s.Edge, callId, true, 75));
        Assert.Equal((600 - slice, 0), await WalletAsync(s));
        await using var check = s.App.Db();
        Assert.Equal(slice, (await check.CallRecords.SingleAsync(r => r.CallId == callId)).BilledSeconds);
        var keys = await check.LedgerEntries.Where(e => e.MemberId == s.Member.Id && e.Kind != TransferKind.Distribution).Select(e => e.IdempotencyKey!).ToListAsync();
        Assert.Equal(2, keys.Count);   // hold, settle at expiry
        Assert.All(keys, k => Assert.InRange(k.Length, 1, 80));
        Assert.Equal(LedgerService.CallSettleEntryKey(callId), Assert.Single(keys, k => k.StartsWith("settle:", StringComparison.Ordinal)));
    }
}
