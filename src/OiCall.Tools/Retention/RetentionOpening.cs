using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Audit;
using OiCall.Web.Features.Retention;
using OiCall.Web.Infrastructure;

namespace OiCall.Tools.Retention;

/// <summary>One call as opened: its Setup, with its End when there is one.</summary>
public sealed record OpenedCall(
    string CallId, string Direction, Guid? BusinessId, Guid? MemberId, string? From, string? To,
    DateTimeOffset? StartedAt, DateTimeOffset? AnsweredAt, DateTimeOffset? EndedAt, long? DurationSeconds,
    string? MemberAddress, string? Edge, string? Outcome, Guid? AnsweredBy);

/// <summary>
/// `retention open`: decrypts every sealed record that may hold a call in the range, with the
/// private key its key id names, keeps the calls that started in the range and involve the number,
/// writes an audit entry (who, when, which request, how many), and only then the records.
/// </summary>
public static class RetentionOpening
{
    public const string AuditAction = "retention.opened";

    public static async Task<int> RunAsync(Arguments options, TextWriter output, TextWriter errors, CancellationToken ct)
    {
        var keys = options.All("key").Select(KeyFile.Read).ToDictionary(k => k.KeyId, StringComparer.Ordinal);
        if (keys.Count == 0) throw new UsageException("--key is required (one or more key files).");
        var from = Time(options.Required("from"), endOfDay: false);
        var to = Time(options.Required("to"), endOfDay: true);
        if (to <= from) throw new UsageException("--to must come after --from.");
        var number = NumberOf(options.Required("number")) ?? throw new UsageException("--number is not a phone number.");
        var reference = options.Required("reference").Trim();
        if (reference.Length > 100) throw new UsageException("--reference is at most 100 characters.");
        var format = options.Optional("format") ?? "json";
        if (format is not ("json" or "csv")) throw new UsageException("--format is json or csv.");
        var operatorLogin = options.Required("operator");

        await using var db = Database(options);
        var actor = await db.Accounts.Where(a => a.LoginId == operatorLogin && a.IsOperator).Select(a => (Guid?)a.Id).SingleOrDefaultAsync(ct)
            ?? throw new UsageException($"--operator '{operatorLogin}' is not an operator account of this service.");

        // Every record of a call that started at `from` or later expires after it, whatever the period was.
        var facts = new List<CallFacts>();
        var missingKey = new Dictionary<string, int>(StringComparer.Ordinal);
        var unopened = 0;
        await foreach (var record in db.RetentionRecords.AsNoTracking().Where(r => r.ExpiresAt > from.UtcDateTime).OrderBy(r => r.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            if (!keys.TryGetValue(record.KeyId, out var key))
            {
                missingKey[record.KeyId] = missingKey.GetValueOrDefault(record.KeyId) + 1;
                continue;
            }
            try
            {
                facts.Add(CallFacts.FromPlaintext(Sodium.SealedPublicKeyBox.Open(record.Sealed, key.PrivateKey, key.PublicKey)));
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or JsonException)
            {
                unopened++; // another key under the same id, or a damaged record
            }
        }

        var calls = Calls(facts, from, to, number);
        var opened = facts.Count;
        db.AuditEntries.Add(new AuditEntry
        {
            At = DateTime.UtcNow,
            ActorAccountId = actor,
            Action = AuditAction,
            Subject = reference,
            // Not the number: the request it names is where that is written.
            Detail = $"{calls.Count} calls from {opened} records opened ({unopened} did not open, {missingKey.Values.Sum()} without their key) " +
                     $"for {from:yyyy-MM-dd HH:mm zzz} – {to:yyyy-MM-dd HH:mm zzz}; keys {string.Join(", ", keys.Keys)}",
        });
        // The entry goes first: no records leave without it.
        await db.SaveChangesAsync(ct);

        foreach (var (keyId, count) in missingKey) await errors.WriteLineAsync($"{count} records are sealed to key '{keyId}', which was not given.");
        if (unopened > 0) await errors.WriteLineAsync($"{unopened} records did not open with the key of their id (another key under that id, or damaged).");
        await errors.WriteLineAsync($"{calls.Count} calls involve the number. Audit entry written for '{reference}'.");

        var text = format == "csv" ? Csv(calls) : JsonSerializer.Serialize(calls, new JsonSerializerOptions(JsonSerializerOptions.Web) { WriteIndented = true });
        if (options.Optional("out") is { } path)
        {
            using var stream = OwnerOnlyFile.Create(path);
            stream.Write(Encoding.UTF8.GetBytes(text));
        }
        else await output.WriteLineAsync(text);
        return 0;
    }

    /// <summary>Calls that started in [from, to] with the number on either side, each with its End (a twin setup's repeat kept once).</summary>
    private static List<OpenedCall> Calls(List<CallFacts> facts, DateTimeOffset from, DateTimeOffset to, string number)
    {
        var ends = facts.Where(f => f.Kind == CallFactKind.End).GroupBy(f => (f.CallId, f.Direction)).ToDictionary(g => g.Key, g => g.First());
        return facts
            .Where(f => f.Kind == CallFactKind.Setup && f.StartedAt is { } at && at >= from.UtcDateTime && at <= to.UtcDateTime)
            .Where(f => NumberOf(f.From) == number || NumberOf(f.To) == number)
            .DistinctBy(f => (f.CallId, f.Direction))
            .OrderBy(f => f.StartedAt)
            .Select(setup =>
            {
                var end = ends.GetValueOrDefault((setup.CallId, setup.Direction));
                return new OpenedCall(setup.CallId, setup.Direction.ToString(), setup.BusinessId, setup.MemberId, setup.From, setup.To,
                    Seoul(setup.StartedAt), Seoul(end?.AnsweredAt), Seoul(end?.EndedAt ?? setup.EndedAt), end?.DurationSeconds,
                    setup.MemberAddress, setup.Edge, end?.Outcome ?? setup.Outcome, setup.Direction == Web.Features.Telephony.CallDirection.Inbound ? end?.MemberId : null);
            })
            .ToList();
    }

    /// <summary>A number as E.164 (Korean numbers in any spelling, international ones from their digits), or null.</summary>
    private static string? NumberOf(string? typed)
    {
        if (KoreanPhone.Parse(typed) is { } korean) return korean.E164;
        var digits = new string((typed ?? "").Where(char.IsAsciiDigit).ToArray());
        if (typed?.TrimStart().StartsWith('+') == true) return "+" + digits;
        return digits.StartsWith("00", StringComparison.Ordinal) ? "+" + digits[2..].TrimStart('0') : null;
    }

    private static readonly TimeSpan SeoulOffset = TimeSpan.FromHours(9);

    private static DateTimeOffset? Seoul(DateTime? utc) =>
        utc is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)).ToOffset(SeoulOffset) : null;

    private static DateTimeOffset Time(string text, bool endOfDay)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), SeoulOffset);
            return endOfDay ? start.AddDays(1).AddTicks(-1) : start;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) && text.Contains('T')) return time;
        throw new UsageException($"'{text}' is neither a day (2026-11-25) nor a time with its offset (2026-11-25T09:00+09:00).");
    }

    private static AppDbContext Database(Arguments options)
    {
        var provider = options.Optional("provider") ?? Environment.GetEnvironmentVariable("Database__Provider") ?? "Sqlite";
        var connection = options.Optional("connection") ?? Environment.GetEnvironmentVariable("Database__ConnectionString")
            ?? throw new UsageException("--connection (or Database__ConnectionString) names the service's database.");
        return provider.ToLowerInvariant() switch
        {
            "sqlite" => new SqliteAppDbContext(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite(connection).Options),
            "postgres" => new PostgresAppDbContext(new DbContextOptionsBuilder<PostgresAppDbContext>().UseNpgsql(connection).Options),
            _ => throw new UsageException("--provider is Sqlite or Postgres."),
        };
    }

    private static string Csv(List<OpenedCall> calls)
    {
        static string Cell(object? value)
        {
            var text = value switch
            {
                null => "",
                DateTimeOffset t => t.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString() ?? "",
            };
            // Quoted always; a formula (a carrier's caller ID could be one) is defused for spreadsheets, a +82… number is not.
            if (value is string && text.Length > 0 && (text[0] is '=' or '@' || (text[0] is '+' or '-' && !text[1..].All(char.IsAsciiDigit)))) text = "'" + text;
            return "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        }
        var csv = new StringBuilder("callId,direction,businessId,memberId,from,to,startedAt,answeredAt,endedAt,durationSeconds,memberAddress,edge,outcome,answeredBy\n");
        foreach (var c in calls)
            csv.AppendLine(string.Join(',', new object?[] { c.CallId, c.Direction, c.BusinessId, c.MemberId, c.From, c.To, c.StartedAt, c.AnsweredAt,
                c.EndedAt, c.DurationSeconds, c.MemberAddress, c.Edge, c.Outcome, c.AnsweredBy }.Select(Cell)));
        return csv.ToString();
    }
}
