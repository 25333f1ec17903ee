using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OiCall.Tests.Support;
using OiCall.Tools.Retention;
using OiCall.Web.Data;

namespace OiCall.Tests.Retention;

/// <summary>`OiCall.Tools retention …`: the operator's act outside the service, run here as the operator runs it.</summary>
public sealed class RetentionToolTests
{
    private static async Task<(int Code, string Output, string Errors)> ToolAsync(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = await OiCall.Tools.Program.RunAsync(args, output, errors);
        return (code, output.ToString(), errors.ToString());
    }

    private static string KeyFileOf(string keyId, byte[] publicKey, byte[] privateKey)
    {
        var path = Path.Combine(Path.GetTempPath(), $"oicall-key-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new KeyFile(keyId, Convert.ToBase64String(publicKey), Convert.ToBase64String(privateKey)), JsonSerializerOptions.Web));
        return path;
    }

    private static string[] Database(TestApp app, DatabaseProvider provider) => provider == DatabaseProvider.Sqlite
        ? ["--provider", "Sqlite", "--connection", $"Data Source={Path.Combine(app.DataDirectory, "oicall.db")}"]
        : ["--provider", "Postgres", "--connection", app.PostgresConnectionString];

    private static string[] Open(TestApp app, DatabaseProvider provider, string key, string reference, params string[] more) =>
        ["retention", "open", "--key", key, "--from", "2026-11-25", "--to", "2026-11-25", "--number", "031-777-8888",
         "--reference", reference, "--operator", "operator", .. Database(app, provider), .. more];

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task The_tool_opens_records_with_their_key_only_and_leaves_an_audit_entry_nobody_can_remove(DatabaseProvider provider)
    {
        var s = await RetentionTests.SetUpAsync(provider);
        await using var _ = s.App;
        await RetentionTests.CallAsync(s, "to-the-number");
        await RetentionTests.CallAsync(s, "to-someone-else", dialled: "02-1234-5678");
        var right = KeyFileOf(TestApp.RetentionKeyId, s.App.RetentionPublicKey, s.App.RetentionPrivateKey);
        using var otherPair = Sodium.PublicKeyBox.GenerateKeyPair();
        var sameIdOtherKey = KeyFileOf(TestApp.RetentionKeyId, otherPair.PublicKey, otherPair.PrivateKey);
        var otherId = KeyFileOf("other", otherPair.PublicKey, otherPair.PrivateKey);

        var opened = await ToolAsync(Open(s.App, provider, right, "영장 번호 2026-1234"));
        Assert.True(opened.Code == 0, opened.Errors);
        var calls = JsonSerializer.Deserialize<List<OpenedCall>>(opened.Output, JsonSerializerOptions.Web)!;
        var call = Assert.Single(calls);
        Assert.Equal(("to-the-number", "+8225551234", "+82317778888", 75L, "Answered", "203.0.113.7"),
            (call.CallId, call.From, call.To, call.DurationSeconds, call.Outcome, call.MemberAddress));
        Assert.Equal(TimeSpan.FromHours(9), call.StartedAt!.Value.Offset);
        Assert.Equal(call.EndedAt - TimeSpan.FromSeconds(75), call.AnsweredAt);

        // Another private key under the same id opens nothing; nor does a key of another id.
        var wrong = await ToolAsync(Open(s.App, provider, sameIdOtherKey, "영장 번호 2026-1235"));
        Assert.Equal(0, wrong.Code);
        Assert.Empty(JsonSerializer.Deserialize<List<OpenedCall>>(wrong.Output, JsonSerializerOptions.Web)!);
        Assert.Contains("4 records did not open", wrong.Errors);
        var missing = await ToolAsync(Open(s.App, provider, otherId, "영장 번호 2026-1236"));
        Assert.Contains("4 records are sealed to key 'test-key', which was not given", missing.Errors);
        Assert.DoesNotContain("+82317778888", wrong.Output + missing.Output);

        // Several keys (rotation): each record opens with the one its id names. CSV keeps numbers as they are.
        var csv = await ToolAsync(Open(s.App, provider, otherId, "영장 번호 2026-1237", "--key", right, "--format", "csv"));
        Assert.True(csv.Code == 0, csv.Errors);
        var lines = csv.Output.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Contains("\"+82317778888\"", lines[1]);

        // Who, which request, how many: one entry per opening; the number looked for is not in it.
        await using var db = s.App.Db();
        var entries = await db.AuditEntries.Where(e => e.Action == RetentionOpening.AuditAction).OrderBy(e => e.Id).ToListAsync();
        Assert.Equal(["영장 번호 2026-1234", "영장 번호 2026-1235", "영장 번호 2026-1236", "영장 번호 2026-1237"], entries.Select(e => e.Subject));
        var operatorId = await db.Accounts.Where(a => a.LoginId == "operator").Select(a => a.Id).SingleAsync();
        Assert.All(entries, e => Assert.Equal(operatorId, e.ActorAccountId));
        Assert.StartsWith("1 calls from 4 records opened", entries[0].Detail);
        Assert.StartsWith("0 calls from 0 records opened (4 did not open", entries[1].Detail);
        Assert.All(entries, e => Assert.DoesNotContain("7778888", e.Detail));

        // The database refuses to remove or change them (the whole audit log is append-only).
        await Assert.ThrowsAnyAsync<Exception>(() => db.AuditEntries.Where(e => e.Action == RetentionOpening.AuditAction).ExecuteDeleteAsync());
        await Assert.ThrowsAnyAsync<Exception>(() => db.AuditEntries.ExecuteUpdateAsync(u => u.SetProperty(e => e.Subject, "지움")));
        await Assert.ThrowsAnyAsync<Exception>(() => db.RetentionRecords.ExecuteUpdateAsync(u => u.SetProperty(r => r.KeyId, "other")));
        Assert.Equal(4, await db.AuditEntries.CountAsync(e => e.Action == RetentionOpening.AuditAction && e.Subject!.StartsWith("영장")));
    }

    [Fact]
    public async Task Opening_needs_an_operator_a_reference_and_a_real_key_file()
    {
        var s = await RetentionTests.SetUpAsync(DatabaseProvider.Sqlite);
        await using var _ = s.App;
        await RetentionTests.CallAsync(s, "call");
        var key = KeyFileOf(TestApp.RetentionKeyId, s.App.RetentionPublicKey, s.App.RetentionPrivateKey);

        var nobody = Open(s.App, DatabaseProvider.Sqlite, key, "영장");
        nobody[Array.IndexOf(nobody, "operator")] = "nobody";
        var refused = await ToolAsync(nobody);
        Assert.Equal(2, refused.Code);
        Assert.Contains("not an operator account", refused.Errors);
        Assert.Equal("", refused.Output);
        var noReference = Open(s.App, DatabaseProvider.Sqlite, key, " ");
        Assert.Equal(2, (await ToolAsync(noReference)).Code);
        // Halves that do not belong together are not a key file.
        using var other = Sodium.PublicKeyBox.GenerateKeyPair();
        var mixed = KeyFileOf(TestApp.RetentionKeyId, other.PublicKey, s.App.RetentionPrivateKey);
        Assert.Equal(2, (await ToolAsync(Open(s.App, DatabaseProvider.Sqlite, mixed, "영장"))).Code);

        await using var db = s.App.Db();
        Assert.False(await db.AuditEntries.AnyAsync(e => e.Action == RetentionOpening.AuditAction));
    }

    [Fact]
    public async Task Keygen_writes_a_pair_whose_public_half_it_prints_and_never_overwrites_one()
    {
        var path = Path.Combine(Path.GetTempPath(), $"oicall-keygen-{Guid.NewGuid():N}.json");
        var made = await ToolAsync("retention", "keygen", "--key-id", "2026-12", "--out", path);
        Assert.Equal(0, made.Code);
        var (keyId, publicKey, _) = KeyFile.Read(path);
        Assert.Equal("2026-12", keyId);
        Assert.Contains($"Retention:PublicKey = {Convert.ToBase64String(publicKey)}", made.Output);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var before = await File.ReadAllTextAsync(path);
        Assert.Equal(2, (await ToolAsync("retention", "keygen", "--key-id", "2026-12", "--out", path)).Code);
        Assert.Equal(before, await File.ReadAllTextAsync(path));
        File.Delete(path);
    }
}
