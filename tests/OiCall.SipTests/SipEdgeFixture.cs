using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.CallerNumbers;
using OiCall.Tests.Support;
using OiCall.Web.Data;
using OiCall.Web.Features.Telephony;
using OiCall.Web.Infrastructure;
using OiCall.Web.Infrastructure.SipEdge;

namespace OiCall.SipTests;

public sealed record SipAccountDto(string Username, string Domain, int Port, string Transport, string? Password);

/// <summary>A business with one member who has SIP credentials, an approved company number and minutes.</summary>
public sealed record Caller(Person Owner, BusinessDto Business, MemberDto Member, SipAccountDto Sip, string MemberPhone, string CompanyE164)
{
    public async Task<(long Seconds, long Held)> BalanceAsync()
    {
        var balance = await Owner.Api.GetFromJsonAsync<JsonElement>($"/api/v1/businesses/{Business.Id}/members/{Member.Id}/balance");
        return (balance.GetProperty("seconds").GetInt64(), balance.GetProperty("heldSeconds").GetInt64());
    }
}

/// <summary>
/// The service on a real 127.0.0.1 port with Sip:Enabled, so it starts the project's Kamailio
/// itself (deploy/kamailio, detached: the fixture stops it) on a free port, with the carrier trunk pointed at a port the tests'
/// sipp UAS takes. SQLite, or PostgreSQL when OICALL_TEST_POSTGRES is set.
/// </summary>
public class SipEdgeFixture : IAsyncLifetime
{
    public const int MaxCallSeconds = 4;
    private static int _numbers = 1000;

    public TestApp App { get; private set; } = null!;
    public SipEdgeProcess Edge { get; private set; } = null!;
    public int EdgePort { get; } = Sipp.FreeUdpPort();
    public int TrunkPort { get; } = Sipp.FreeUdpPort();

    /// <summary>Sip:MaxCallSeconds for this fixture's service: no call is granted more.</summary>
    public virtual long CallSeconds => MaxCallSeconds;

    public static DatabaseProvider Provider => string.IsNullOrEmpty(TestApp.PostgresServer) ? DatabaseProvider.Sqlite : DatabaseProvider.Postgres;

    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "deploy", "kamailio", "kamailio.cfg"))) return folder.FullName;
        throw new InvalidOperationException("deploy/kamailio/kamailio.cfg not found above the test output.");
    }

    public static string ConfigPath => Path.Combine(RepositoryRoot(), "deploy", "kamailio", "kamailio.cfg");

    public static void RequireTools()
    {
        if (SipEdgeProcess.FindKamailio() is null || SipEdgeProcess.FindKamailio("sipp") is null)
        {
            if (Environment.GetEnvironmentVariable("OICALL_REQUIRE_POSTGRES") == "1")
                Assert.Fail("Kamailio and sipp are required in CI (apt-get install kamailio kamailio-utils-modules kamailio-extra-modules kamailio-sqlite-modules sip-tester).");
            Assert.Skip("Kamailio or sipp is not installed.");
        }
    }

    public static Dictionary<string, string?> Settings(int edgePort, int trunkPort, bool enabled = true, long maxCallSeconds = MaxCallSeconds) => new()
    {
        ["Sip:Enabled"] = enabled ? "true" : "false",
        ["Sip:Port"] = edgePort.ToString(),
        ["Sip:TrunkHost"] = "127.0.0.1",
        ["Sip:TrunkPort"] = trunkPort.ToString(),
        ["Sip:MaxCallSeconds"] = maxCallSeconds.ToString(),
        ["Sip:ConfigPath"] = ConfigPath,
        // Every test signs up its own people from the same test client.
        ["Otp:MaxSendsPerIp"] = "100000",
        ["Otp:MaxSendsPerNumber"] = "100000",
    };

    /// <summary>
    /// Changes to this fixture's service configuration. By default the flood guard allows far more
    /// than the service's default of 16 requests / 2 s per source (SipEdgeOptions): these tests play many members (and the load
    /// tests about 50 requests a second) all from 127.0.0.1, which in service would be many
    /// addresses. The guard with its defaults is tested in SipEdgeGuardTests (GuardEdgeFixture).
    /// </summary>
    protected virtual void Configure(Dictionary<string, string?> settings) => settings["Sip:FloodRequests"] = "100000";

    public async ValueTask InitializeAsync()
    {
        if (SipEdgeProcess.FindKamailio() is null || SipEdgeProcess.FindKamailio("sipp") is null) return;
        var settings = Settings(EdgePort, TrunkPort, maxCallSeconds: CallSeconds);
        Configure(settings);
        App = await TestApp.StartAsync(Provider, settings, realServer: true);
        var host = App.Services.GetRequiredService<SipEdgeHost>();
        await host.Ready.WaitAsync(TimeSpan.FromSeconds(20));
        Edge = host.Edge ?? throw new InvalidOperationException("The app did not start its SIP edge:\n" + string.Join('\n', App.ServerErrors.Errors));
        await WarmUpAsync(App);
    }

    public async ValueTask DisposeAsync()
    {
        // The app's edge outlives it (as a development edge does): stopped here, by PID.
        if (App is not null) await App.DisposeAsync();
        if (Edge is not null) await Edge.DisposeAsync();
    }

    /// <summary>
    /// A cold control plane (JIT, EF model, first connections) can take longer than the edge's 1 s
    /// limit on its first answers; the edge would then rightly refuse with 503.
    /// </summary>
    public static async Task WarmUpAsync(TestApp app)
    {
        var client = app.Client();
        client.DefaultRequestHeaders.Add(TelephonyApi.SecretHeader, TelephonyApi.EdgeSecret(app.Services.GetRequiredService<ServerSecrets>()));
        await WarmUpAsync(client);
    }

    /// <summary>The same through a client of the service (its base address and the edge secret header set).</summary>
    public static async Task WarmUpAsync(HttpClient client)
    {
        for (var i = 0; i < 3; i++)
        {
            await client.GetAsync("/telephony/v1/credentials/oc00000000");
            await client.PostAsJsonAsync("/telephony/v1/calls/authorize", new { callId = $"warm-up-{i}", username = "oc00000000", dialled = "0212345678" });
            await client.PostAsJsonAsync("/telephony/v1/calls/slice", new { callId = $"warm-up-{i}", slice = 2 });
            await client.PostAsJsonAsync("/telephony/v1/calls/end", new { callId = $"warm-up-{i}", answered = false, durationSeconds = 0, endedBy = "edge" });
        }
    }

    /// <summary>Sets up a business, a member with SIP credentials, an approved default number and wallet seconds.</summary>
    public static async Task<Caller> CallerAsync(TestApp app, long walletSeconds = 600, string memberPhone = "010-3131-4242", int callsAtOnce = 100)
    {
        // An approved number belongs to one business: each caller gets its own.
        var n = Interlocked.Increment(ref _numbers);
        var mainNumber = $"02-555-{n:D4}";
        var owner = await app.PersonAsync("사장", $"010-7{n % 1000:D3}-{n:D4}");
        var business = await owner.CreateBusinessAsync("통화상사");
        var member = await owner.AddMemberAsync(business.Id, "영업", memberPhone);
        var number = await app.ApprovedNumberAsync(owner, business.Id, mainNumber);
        await Ok(await owner.Api.PutAsJsonAsync($"{CallerNumberCalls.Base(business.Id)}/default", new { callerNumberId = number.Id }), HttpStatusCode.NoContent);
        if (walletSeconds > 0)
        {
            await Ok(await owner.ChargeAsync(business.Id, (await app.IssueCouponsAsync(1, (walletSeconds + 59) / 60)).Single()), HttpStatusCode.OK);
            await Ok(await owner.AllocateAsync(business.Id, member.Id, walletSeconds), HttpStatusCode.OK);
        }
        // The load tests run many calls of one member at once (and a call counts until its end report is in); the default limit (2) is tested in OiCall.Tests.
        var operatorApi = await app.OperatorAsync();
        await Ok(await operatorApi.PutAsJsonAsync($"/api/v1/operator/businesses/{business.Id}/call-policy",
            new { allowInternational = false, allowPremium = false, callsSuspended = false, maxCallsPerMember = callsAtOnce }), HttpStatusCode.OK);
        var issued = await owner.Api.PostAsync($"/api/v1/businesses/{business.Id}/members/{member.Id}/sip-password", null);
        await Ok(issued, HttpStatusCode.OK);
        var sip = (await issued.Content.ReadFromJsonAsync<SipAccountDto>(BusinessApi.Json))!;
        return new Caller(owner, business, member, sip, memberPhone, "+82" + mainNumber.Replace("-", "")[1..]);
    }

    private static async Task Ok(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
