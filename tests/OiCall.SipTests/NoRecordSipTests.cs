using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using OiCall.Tests.Support;
using OiCall.Web.Data;
using OiCall.Web.Features.Retention;
using OiCall.Web.Features.Telephony;
using OiCall.Web.Infrastructure;

namespace OiCall.SipTests;

/// <summary>The service as it runs in production logs: every level captured, numbers not switched on.</summary>
public sealed class ProductionLogEdgeFixture : SipEdgeFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Logging:LogLevel:Default"] = "Debug";
        settings[LogPrivacy.Switch] = "false";
    }
}

/// <summary>
/// "No record" through the real edge: after a member's call, the number they dialled is in one
/// sealed record set and nowhere else the service keeps or shows (its database files, its API, its
/// pages, its log and the edge's log), while the carrier did get it.
/// </summary>
public sealed class NoRecordSipTests(ProductionLogEdgeFixture edge) : IClassFixture<ProductionLogEdgeFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>The dialled number as typed, in E.164, and each form it could be written in.</summary>
    private const string Dialled = "02-3714-6925", E164 = "+82237146925";
    private static readonly string[] Forms = ["37146925", "3714-6925", "3714 6925", "237146925"];

    /// <summary>Where in the bytes a form of the dialled number appears (UTF-8, and UTF-16 as some stores write text).</summary>
    private static IEnumerable<string> FoundIn(string what, byte[] bytes, params string[] forms) =>
        (forms.Length > 0 ? forms : Forms).SelectMany(form => new[] { (Encoding.UTF8, "UTF-8"), (Encoding.Unicode, "UTF-16") }
            .Where(e => bytes.AsSpan().IndexOf(e.Item1.GetBytes(form)) >= 0)
            .Select(e => $"{form} ({e.Item2}) in {what}"));

    /// <summary>Every row of every table of the app's PostgreSQL database, each as PostgreSQL writes a row as text.</summary>
    private static async Task<byte[]> PostgresRowsAsync(TestApp app)
    {
        await using var connection = new NpgsqlConnection(app.PostgresConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        var rows = new StringBuilder();
        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"SELECT t::text FROM \"{table}\" t", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.AppendLine(reader.GetString(0));
        }
        return Encoding.UTF8.GetBytes(rows.ToString());
    }

    [Fact]
    public async Task A_call_leaves_one_sealed_record_set_and_its_number_nowhere_in_the_services_files_pages_or_logs()
    {
        SipEdgeFixture.RequireTools();
        var edgeLog = new ConcurrentQueue<string>();
        void Keep(string line) => edgeLog.Enqueue(line);
        edge.Edge.Line += Keep;
        try
        {
            var caller = await SipEdgeFixture.CallerAsync(edge.App, 600, memberPhone: "010-2626-1515");
            await using (var carrier = Sipp.Carrier(edge.TrunkPort))
            await using (var app = Sipp.Member("member_call.xml", edge.EdgePort, caller.Sip.Username, caller.Sip.Password!, Dialled.Replace("-", ""), holdMs: 1000))
            {
                Assert.True(await app.ExitCodeAsync(Limit) == 0, app.Log() + carrier.Log() + edge.Edge.RecentLog);
                Assert.True(await carrier.ExitCodeAsync(Limit) == 0, app.Log() + carrier.Log() + edge.Edge.RecentLog);
                // The number did pass through the edge: the carrier was asked for it.
                Assert.StartsWith($"INVITE sip:{E164}@", carrier.Received()[0]);
            }

            // The end report reaches the control plane through the edge's spool.
            string callId;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (true)
            {
                await using var db = edge.App.Db();
                var call = await db.CallRecords.AsNoTracking().SingleAsync(r => r.BusinessId == caller.Business.Id);
                if (call.Outcome != CallOutcome.InProgress) { callId = call.CallId; break; }
                Assert.True(DateTime.UtcNow < deadline, "no end report:\n" + edge.Edge.RecentLog);
                await Task.Delay(100);
            }

            // One sealed record set for the call (its setup and its end), opened with the key the service never has.
            await using (var db = edge.App.Db())
            {
                var mine = (await db.RetentionRecords.AsNoTracking().ToListAsync())
                    .Select(r => CallFacts.FromPlaintext(Sodium.SealedPublicKeyBox.Open(r.Sealed, edge.App.RetentionPrivateKey, edge.App.RetentionPublicKey)))
                    .Where(f => f.CallId == callId).ToList();
                Assert.Equal([CallFactKind.Setup, CallFactKind.End], mine.Select(f => f.Kind).Order());
                Assert.Equal((caller.CompanyE164, E164), (mine.Single(f => f.Kind == CallFactKind.Setup).From, mine.Single(f => f.Kind == CallFactKind.Setup).To));
                Assert.Null((await db.CallRecords.AsNoTracking().SingleAsync(r => r.CallId == callId)).DialledMasked);
            }

            // A stranger's INVITE naming a member in To and the number in its request URI: refused, and logged, by the edge.
            using (var stranger = new SipProbe("127.0.0.31", edge.EdgePort))
            {
                var uri = $"sip:{E164}@{stranger.Edge}";
                var invite = stranger.Request("INVITE", uri, "stranger", "").Replace($"To: <{uri}>", $"To: <sip:{caller.Sip.Username}@{stranger.Edge}>");
                Assert.Equal(403, SipProbe.Status(await stranger.AskAsync(invite) ?? "no answer"));
            }

            // What the business and the operator can read.
            var shown = new StringBuilder();
            var history = await caller.Owner.Api.GetStringAsync($"/api/v1/businesses/{caller.Business.Id}/calls");
            Assert.Contains(caller.CompanyE164[1..], history);
            shown.AppendLine(history);
            shown.AppendLine(await caller.Owner.Api.GetStringAsync($"/api/v1/businesses/{caller.Business.Id}/members/{caller.Member.Id}/balance"));
            var operatorApi = await edge.App.OperatorAsync();
            shown.AppendLine(await operatorApi.GetStringAsync("/api/v1/operator/edge"));
            var browser = edge.App.Client();
            // WebLogin's forms, but this client (on the real server) follows the redirect to the home page itself.
            var loginPage = await browser.GetStringAsync("/login");
            var sent = await WebLogin.PostFormAsync(browser, "/login", loginPage, "login-start", new() { ["Start.Identifier"] = caller.Owner.LoginId });
            var verifyPage = await sent.Content.ReadAsStringAsync();
            var done = await WebLogin.PostFormAsync(browser, "/login", verifyPage, "login-verify", new()
            {
                ["Verify.ChallengeId"] = WebLogin.HiddenValue(verifyPage, "Verify.ChallengeId"),
                ["Verify.Identifier"] = caller.Owner.LoginId,
                ["Verify.Code"] = edge.App.LastCodeTo(caller.Owner.Phone)!,
            });
            Assert.Contains("data-callable-seconds", await done.Content.ReadAsStringAsync());
            foreach (var (page, showing) in new[] { ("/", "data-callable-seconds"), ("/calls", "data-direction=\"Outbound\"") })
            {
                var html = await browser.GetStringAsync(page);
                Assert.Contains(showing, html);
                shown.AppendLine(html);
            }

            // Everything the service wrote: its data directory (SQLite with its WAL, keys, the edge's spool
            // and topos store), and on PostgreSQL every row of every table, as text.
            var stores = new List<(string Name, byte[] Bytes)>();
            foreach (var file in Directory.EnumerateFiles(edge.App.DataDirectory, "*", SearchOption.AllDirectories))
            {
                byte[] bytes;
                try { bytes = await File.ReadAllBytesAsync(file); }
                // The running edge's control socket and FIFO cannot be read as files (and hold nothing).
                catch (IOException) when (new FileInfo(file).Length == 0) { continue; }
                stores.Add((Path.GetRelativePath(edge.App.DataDirectory, file), bytes));
            }
            var database = SipEdgeFixture.Provider == DatabaseProvider.Postgres ? "the PostgreSQL database" : "oicall.db";
            if (SipEdgeFixture.Provider == DatabaseProvider.Postgres) stores.Add((database, await PostgresRowsAsync(edge.App)));
            Assert.Contains(database, stores.Select(s => s.Name));
            // The same search finds what the service does keep: the company number the call showed.
            Assert.Contains(stores, s => FoundIn(s.Name, s.Bytes, caller.CompanyE164[3..]).Any());
            var found = stores.SelectMany(s => FoundIn(s.Name, s.Bytes)).ToList();
            found.AddRange(FoundIn("the API and pages", Encoding.UTF8.GetBytes(shown.ToString())));
            var serviceLog = edge.App.ServerLog.Text;
            found.AddRange(FoundIn("the service's log", Encoding.UTF8.GetBytes(serviceLog)));
            var kamailioLog = string.Join('\n', edgeLog);
            found.AddRange(FoundIn("the edge's log", Encoding.UTF8.GetBytes(kamailioLog)));

            // The logs are not empty of the call: the edge logged it (its Call-ID prefixes each line) and the service kept the edge's lines.
            Assert.Contains(callId, kamailioLog);
            Assert.Contains("kamailio: ", serviceLog);
            Assert.True(found.Count == 0, string.Join('\n', found));
            Assert.Contains("INVITE to member ****6925 from 127.0.0.31", kamailioLog);
        }
        finally
        {
            edge.Edge.Line -= Keep;
        }
    }
}
