using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OiCall.Web.Data;
using OiCall.Web.Features.Coupons;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Features.Telephony;

namespace OiCall.Bench;

/// <summary>
/// What one operation sent. <paramref name="EfCommands"/> went through EF; <paramref name="DriverCommands"/>
/// is what Npgsql executed (PostgreSQL only), EF's commands and any sent past EF with a plain NpgsqlCommand.
/// </summary>
public sealed record OperationProfile(string Name, int EfCommands, int DriverCommands, int Begins, int Savepoints, int Commits,
    IReadOnlyList<string> Statements)
{
    /// <summary>PostgreSQL: every executed command and every COMMIT (BEGIN travels with the next command).</summary>
    public int PostgresRoundTrips => DriverCommands + Commits;
}

/// <summary>A history page to ask for: which business, which filter.</summary>
public sealed record HistoryCase(string Name, Func<Random, (Guid BusinessId, HistoryFilter Filter)> Pick);

/// <summary>
/// The measured operations, each run as a request of the service runs it: a fresh DI scope, so a
/// fresh DbContext, per call, through the service's own LedgerService, CouponRules and History.
/// </summary>
public sealed class Workloads(BenchHost host, Dataset dataset)
{
    /// <summary>Seconds per distribution: small, so the pools never run dry.</summary>
    public const long DistributedSeconds = 60;
    /// <summary>What a call asks to hold; the member's wallet always has it after seeding.</summary>
    public const long WantedSeconds = 180;
    public const string ClientIp = "127.0.0.1";

    private readonly ConcurrentQueue<string> _codes = new();
    private long _firstEntryId;
    private long _lastEntryId;

    /// <summary>The operator issues the codes up front, as the service does: batches of at most 10,000, 60 minutes each.</summary>
    public async Task IssueCodesAsync(int count)
    {
        for (var issued = 0; issued < count; issued += 10_000)
        {
            await using var scope = host.Services.CreateAsyncScope();
            var coupons = scope.ServiceProvider.GetRequiredService<CouponRules>();
            var batch = await coupons.IssueBatchAsync(dataset.OperatorId, Math.Min(10_000, count - issued), 60, DateTime.UtcNow.AddDays(30), "benchmark");
            foreach (var code in batch.Codes) _codes.Enqueue(code);
        }
    }

    public async Task<bool> RedeemAsync(Random random)
    {
        if (!_codes.TryDequeue(out var code)) return false;
        var business = dataset.RandomBusiness(random);
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<CouponRules>().RedeemAsync(business.AdminMembership, code, ClientIp);
        return true;
    }

    public async Task<bool> DistributeAsync(Random random)
    {
        var business = dataset.RandomBusiness(random);
        var member = business.MemberIds[random.Next(business.MemberIds.Length)];
        var key = RequestKey(business.AdminAccountId);
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<LedgerService>().DistributeAsync(business.Id, member, DistributedSeconds, business.AdminAccountId, key);
        return true;
    }

    /// <summary>
    /// One call's storage alone: its hold (with the call record) and its end (settle and record)
    /// through the service's <see cref="ICallStore"/> with a fresh Call-ID, as two requests from the
    /// SIP edge, without the setup's checks around them.
    /// </summary>
    public async Task<bool> HoldAndSettleAsync(Random random)
    {
        var (businessId, memberId) = RandomMember(random);
        var callId = NewCallId();
        var granted = await HoldAsync(businessId, memberId, callId);
        await SettleAsync(callId, random.Next(1, (int)Math.Min(granted, 120) + 1));
        return true;
    }

    /// <summary>
    /// One call as the SIP edge reports it: the authorization at setup (who is calling, the number
    /// to present, the limits, the hold, the call record) and the end (settle and record), each a
    /// request of its own, through <see cref="CallSetup"/> and <see cref="CallEnds"/> as the evapi link and /calls/end run them.
    /// </summary>
    public async Task<bool> CallAsync(Random random)
    {
        var (_, memberId) = RandomMember(random);
        var callId = NewCallId();
        var granted = await AuthorizeCallAsync(memberId, callId);
        await EndCallAsync(callId, random.Next(1, (int)Math.Min(granted, 120) + 1));
        return true;
    }

    private async Task<long> AuthorizeCallAsync(Guid memberId, string callId)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var decision = await scope.ServiceProvider.GetRequiredService<CallSetup>().AuthorizeAsync(callId, SeededBusiness.SipUsername(memberId), Dialled);
        return decision.Code == 200 ? decision.GrantedSeconds : throw new InvalidOperationException($"refused {decision.Code} {decision.Reason}");
    }

    private async Task EndCallAsync(string callId, long spokenSeconds)
    {
        await using var scope = host.Services.CreateAsyncScope();
        if (!await scope.ServiceProvider.GetRequiredService<CallEnds>().EndAsync(callId, answered: true, spokenSeconds, "caller"))
            throw new InvalidOperationException("the end changed nothing");
    }

    /// <summary>The company number the store's holds record; the ledger does not look at it.</summary>
    private const string PresentedNumber = "+8225550000";

    /// <summary>A domestic mobile number, as members dial them.</summary>
    private const string Dialled = "010-2345-6789";

    private async Task<long> HoldAsync(Guid businessId, Guid memberId, string callId)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ICallStore>().HoldAsync(
                new NewCall(callId, businessId, memberId, PresentedNumber, null, DateTime.UtcNow, WantedSeconds), CancellationToken.None)
            ?? throw new InvalidOperationException("the member had no free time to hold");
    }

    private async Task SettleAsync(string callId, long spokenSeconds)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var ended = new EndedCall(callId, true, spokenSeconds, "caller", CallOutcome.Answered, DateTime.UtcNow);
        if (await scope.ServiceProvider.GetRequiredService<ICallStore>().EndAsync(ended, CancellationToken.None) is null)
            throw new InvalidOperationException("the settle changed nothing");
    }

    private (Guid BusinessId, Guid MemberId) RandomMember(Random random)
    {
        var business = dataset.RandomBusiness(random);
        return (business.Id, business.MemberIds[random.Next(business.MemberIds.Length)]);
    }

    /// <summary>A fresh Idempotency-Key per request, in the shape the API gives the ledger ("req:{account}:{header}").</summary>
    public static string RequestKey(Guid accountId) => $"req:{accountId:N}:{Guid.NewGuid()}";

    private static string NewCallId() => $"{Guid.NewGuid():N}@bench.oicall";

    public async Task<int> HistoryPageAsync(HistoryCase historyCase, Random random)
    {
        var (businessId, filter) = historyCase.Pick(random);
        await using var scope = host.Services.CreateAsyncScope();
        var page = await scope.ServiceProvider.GetRequiredService<History>().PageAsync(businessId, filter);
        return page.Lines.Count;
    }

    public async Task LoadEntryRangeAsync()
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        _firstEntryId = await db.LedgerEntries.MinAsync(e => e.Id);
        _lastEntryId = await db.LedgerEntries.MaxAsync(e => e.Id);
    }

    /// <summary>
    /// The 상세 내역 pages: first pages, and "deep" pages whose keyset cursor (before) is a random
    /// entry id anywhere in the year, with and without a member, and one past month.
    /// </summary>
    public IReadOnlyList<HistoryCase> HistoryCases()
    {
        long DeepCursor(Random r) => _firstEntryId + (long)(r.NextDouble() * (_lastEntryId - _firstEntryId));
        Guid AnyMember(SeededBusiness b, Random r) => b.MemberIds[r.Next(b.MemberIds.Length)];
        var seoul = TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul");
        var monthStart = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(dataset.FirstAt.AddDays(180), seoul));
        return
        [
            new("Charges, first page", r => (dataset.RandomBusiness(r).Id, new HistoryFilter(HistoryTab.Charges))),
            new("Charges, deep page", r => (dataset.RandomBusiness(r).Id, new HistoryFilter(HistoryTab.Charges, Before: DeepCursor(r)))),
            new("Distributions, first page", r => (dataset.RandomBusiness(r).Id, new HistoryFilter(HistoryTab.Distributions))),
            new("Distributions, deep page", r => (dataset.RandomBusiness(r).Id, new HistoryFilter(HistoryTab.Distributions, Before: DeepCursor(r)))),
            new("Distributions, one member, first page", r =>
            {
                var b = dataset.RandomBusiness(r);
                return (b.Id, new HistoryFilter(HistoryTab.Distributions, AnyMember(b, r)));
            }),
            new("Distributions, one member, deep page", r =>
            {
                var b = dataset.RandomBusiness(r);
                return (b.Id, new HistoryFilter(HistoryTab.Distributions, AnyMember(b, r), Before: DeepCursor(r)));
            }),
            new("Distributions, one past month, first page", r =>
                (dataset.RandomBusiness(r).Id, new HistoryFilter(HistoryTab.Distributions, From: monthStart, To: monthStart.AddDays(29)))),
        ];
    }

    /// <summary>The statements each operation sends, counted by <see cref="RoundTripCounter"/> on a warmed-up second run.</summary>
    public async Task<IReadOnlyList<OperationProfile>> ProfileAsync()
    {
        // The same business and member in the warm-up run and the profiled run: accounts the service
        // creates or caches on first use (a business's credit line, known account keys) are then not counted.
        Random SameChoices() => new(99);
        var profiles = new List<OperationProfile>();

        var postgres = host.Provider == DatabaseProvider.Postgres;
        using var npgsql = postgres ? RoundTripCounter.ListenToNpgsql() : null;

        async Task Profile(string name, Func<Task> operation)
        {
            await operation(); // first run: EF compiles its queries, the pool opens connections
            using var recording = RoundTripCounter.Start();
            await operation();
            // On PostgreSQL what Npgsql executed is the truth (EF's commands and savepoints appear there too); on SQLite, what EF did.
            var shown = recording.Timeline
                .Where(s => postgres
                    ? s.Source == RoundTripCounter.StatementSource.Npgsql || s.Sql is "BEGIN" or "COMMIT"
                    : s.Source != RoundTripCounter.StatementSource.Npgsql)
                .Select(s => s.Sql).ToList();
            profiles.Add(new OperationProfile(name, recording.Commands, recording.DriverCommands, recording.Begins, recording.Savepoints, recording.Commits, shown));
        }

        if (!_codes.IsEmpty) await Profile("CouponRules.RedeemAsync", () => RedeemAsync(SameChoices()));
        await Profile("LedgerService.DistributeAsync", () => DistributeAsync(SameChoices()));
        var (businessId, memberId) = RandomMember(SameChoices());
        var heldCalls = new List<string>();
        await Profile("ICallStore.HoldAsync", async () =>
        {
            var callId = NewCallId();
            heldCalls.Add(callId);
            await HoldAsync(businessId, memberId, callId);
        });
        // The warm-up run settles the first of those two holds, the profiled run the second.
        var toSettle = new Queue<string>(heldCalls);
        await Profile("ICallStore.EndAsync", () => SettleAsync(toSettle.Dequeue(), 30));
        var callIds = new Queue<string>();
        await Profile("CallSetup.AuthorizeAsync", async () =>
        {
            var callId = NewCallId();
            callIds.Enqueue(callId);
            await AuthorizeCallAsync(memberId, callId);
        });
        await Profile("CallEnds.EndAsync", () => EndCallAsync(callIds.Dequeue(), 30));
        var deep = HistoryCases().Single(c => c.Name == "Distributions, deep page");
        await Profile("History.PageAsync (deep page)", () => HistoryPageAsync(deep, SameChoices()));
        return profiles;
    }

    /// <summary>Median time of a trivial query over a pooled connection: the cost of one round trip to PostgreSQL.</summary>
    public async Task<double?> PostgresRoundTripMicrosecondsAsync()
    {
        if (host.Provider != DatabaseProvider.Postgres) return null;
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync();
        await using var ping = new NpgsqlCommand("SELECT 1", connection);
        var ticks = new long[2_000];
        for (var i = -200; i < ticks.Length; i++)
        {
            var began = Stopwatch.GetTimestamp();
            await ping.ExecuteScalarAsync();
            if (i >= 0) ticks[i] = Stopwatch.GetTimestamp() - began;
        }
        Array.Sort(ticks);
        return ticks[ticks.Length / 2] * 1_000_000.0 / Stopwatch.Frequency;
    }
}
