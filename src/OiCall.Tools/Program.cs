using System.Text;
using OiCall.Tools.Retention;

namespace OiCall.Tools;

/// <summary>`dotnet run --project src/OiCall.Tools -- retention keygen|open …` (see README, 통신사실확인자료).</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        Console.OutputEncoding = Encoding.UTF8;
        return await RunAsync(args, Console.Out, Console.Error);
    }

    public const string Usage = """
        usage:
          retention keygen [--key-id ID] --out FILE
          retention open --key FILE [--key FILE …] --from DATE --to DATE --number NUMBER
                         --reference "영장 번호 …" --operator LOGIN_ID [--format json|csv] [--out FILE]
                         [--provider Sqlite|Postgres] [--connection STRING]
        DATE is a Korean day (2026-11-25, --to inclusive) or an ISO 8601 time with its offset.
        The database is the service's: --provider/--connection, else Database__Provider/Database__ConnectionString.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors, CancellationToken ct = default)
    {
        try
        {
            var options = Arguments.Parse(args.Skip(2));
            return (args.ElementAtOrDefault(0), args.ElementAtOrDefault(1)) switch
            {
                ("retention", "keygen") => KeyFile.Generate(options, output),
                ("retention", "open") => await RetentionOpening.RunAsync(options, output, errors, ct),
                _ => throw new UsageException("Unknown command."),
            };
        }
        catch (UsageException e)
        {
            await errors.WriteLineAsync(e.Message);
            await errors.WriteLineAsync(Usage);
            return 2;
        }
    }
}

/// <summary>A mistake in how the tool was called: told with the usage, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>"--name value" pairs; a name may repeat (--key).</summary>
public sealed class Arguments
{
    private readonly Dictionary<string, List<string>> _values = [];

    public static Arguments Parse(IEnumerable<string> args)
    {
        var parsed = new Arguments();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            if (!e.Current.StartsWith("--", StringComparison.Ordinal) || e.Current.Length < 3) throw new UsageException($"Unexpected '{e.Current}'.");
            var name = e.Current[2..];
            if (!e.MoveNext()) throw new UsageException($"--{name} needs a value.");
            if (!parsed._values.TryGetValue(name, out var list)) parsed._values[name] = list = [];
            list.Add(e.Current);
        }
        return parsed;
    }

    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var list) ? list : [];

    public string? Optional(string name) => All(name) switch
    {
        [] => null,
        [var one] => one,
        _ => throw new UsageException($"--{name} is given more than once."),
    };

    public string Required(string name) =>
        Optional(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value : throw new UsageException($"--{name} is required.");
}
