using Microsoft.Extensions.DependencyInjection;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Features.Telephony;

namespace OiCall.Tests.Support;

/// <summary>
/// A call's hold, end and expiry through the store the call path uses on the app's database
/// (<see cref="ICallStore"/>), each in a DI scope of its own as a request of the edge would be, for
/// ledger tests that need calls without the SIP setup around them.
/// </summary>
public static class CallStoreCalls
{
    /// <summary>The company number these calls present; the ledger does not look at it.</summary>
    public const string PresentedNumber = "+8225550000";

    public static async Task<long?> HoldCallAsync(this TestApp app, Guid businessId, Guid memberId, string callId, long wantedSeconds)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ICallStore>().HoldAsync(
            new NewCall(callId, businessId, memberId, PresentedNumber, null, app.Clock.GetUtcNow().UtcDateTime, wantedSeconds), CancellationToken.None);
    }

    /// <summary>An answered call's end with the seconds spoken: the seconds billed, or null when it changed nothing.</summary>
    public static async Task<long?> EndCallAsync(this TestApp app, string callId, long spokenSeconds)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ICallStore>().EndAsync(
            new EndedCall(callId, true, spokenSeconds, "caller", CallOutcome.Answered, app.Clock.GetUtcNow().UtcDateTime), CancellationToken.None);
    }

    public static async Task<int> ExpireHoldsAsync(this TestApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ICallStore>().ExpireHoldsAsync(app.Clock.GetUtcNow().UtcDateTime, CancellationToken.None);
    }
}
