using System.Globalization;
using OiCall.Web.Data;

namespace OiCall.Bench;

/// <summary>Command-line options; every one has a default except the database.</summary>
public sealed class BenchOptions
{
    public DatabaseProvider Provider { get; private set; }
    /// <summary>PostgreSQL server to create the throwaway database on (its Database is the admin database).</summary>
    public string? PostgresServer { get; private set; }
    public int Workers { get; private set; }
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(2);
    public int Businesses { get; private set; } = 10;
    public int MembersPerBusiness { get; private set; } = 1_000;
    public int Entries { get; private set; } = 1_000_000;
    /// <summary>Timed requests per history case (after a short warm-up).</summary>
    public int HistoryRequests { get; private set; } = 300;
    /// <summary>Coupon codes issued before the redemption measurement; it ends early when they run out.</summary>
    public int Coupons { get; private set; }
    /// <summary>Which measurements to run (all by default): redeem, distribute, hold, call, history.</summary>
    public HashSet<string> Only { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Keep the database afterwards (to look at it with psql or sqlite3).</summary>
    public bool Keep { get; private set; }
    /// <summary>Print every SQL statement of the profiled operations, not only their count.</summary>
    public bool ShowSql { get; private set; }

    public bool Runs(string measurement) => Only.Count == 0 || Only.Contains(measurement);

    public const string Usage = """
        usage: dotnet run -c Release --project bench/OiCall.Bench -- --db sqlite|postgres [options]
          --pg "Host=127.0.0.1;Port=54340;Username=postgres"   PostgreSQL server (a fresh database is created on it)
          --workers N          concurrent workers (default 16 on PostgreSQL, 4 on SQLite)
          --seconds S          measured seconds per throughput measurement (default 10)
          --warmup S           unmeasured seconds before each (default 2)
          --businesses N       default 10
          --members N          members per business (default 1000)
          --entries N          seeded ledger entries (default 1000000)
          --history-requests N timed requests per history case (default 300)
          --coupons N          codes issued for the redemption measurement (default 20000 PG, 10000 SQLite)
          --only a,b           subset of: redeem, distribute, hold, call, history
          --show-sql           print the SQL of the profiled operations
          --keep               keep the database afterwards
        """;

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        string? db = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int NextInt() => int.Parse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--db": db = Next(); break;
                case "--pg": options.PostgresServer = Next(); break;
                case "--workers": options.Workers = NextInt(); break;
                case "--seconds": options.Duration = TimeSpan.FromSeconds(NextInt()); break;
                case "--warmup": options.Warmup = TimeSpan.FromSeconds(NextInt()); break;
                case "--businesses": options.Businesses = NextInt(); break;
                case "--members": options.MembersPerBusiness = NextInt(); break;
                case "--entries": options.Entries = NextInt(); break;
                case "--history-requests": options.HistoryRequests = NextInt(); break;
                case "--coupons": options.Coupons = NextInt(); break;
                case "--only": options.Only.UnionWith(Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
                case "--keep": options.Keep = true; break;
                case "--show-sql": options.ShowSql = true; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        options.Provider = db?.ToLowerInvariant() switch
        {
            "sqlite" => DatabaseProvider.Sqlite,
            "postgres" or "postgresql" or "pg" => DatabaseProvider.Postgres,
            _ => throw new ArgumentException("--db sqlite or --db postgres is required"),
        };
        if (options.Provider == DatabaseProvider.Postgres && string.IsNullOrWhiteSpace(options.PostgresServer))
            throw new ArgumentException("--db postgres needs --pg \"Host=127.0.0.1;Port=…;Username=…\"");
        var postgres = options.Provider == DatabaseProvider.Postgres;
        // SQLite has one writer at a time: more than a few workers only queue on the file lock.
        if (options.Workers <= 0) options.Workers = postgres ? 16 : 4;
        if (options.Coupons <= 0) options.Coupons = postgres ? 20_000 : 10_000;
        if (options.Entries < options.Businesses * 10) throw new ArgumentException("--entries is too small for the businesses");
        return options;
    }
}
