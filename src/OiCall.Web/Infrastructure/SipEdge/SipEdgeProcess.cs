using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using OiCall.Web.Features.Telephony;

namespace OiCall.Web.Infrastructure.SipEdge;

/// <summary>What one Kamailio edge is started with: the "Sip" configuration, and what the service resolved for it.</summary>
public sealed record SipEdgeSettings
{
    /// <summary>Addresses, the trunk, the guard's numbers, the longest call.</summary>
    public SipOptions Sip { get; init; } = new();
    /// <summary>Base of the control plane's edge endpoints, e.g. http://127.0.0.1:5080/telephony/v1.</summary>
    public required string ControlPlaneUrl { get; init; }
    public required string EdgeSecret { get; init; }
    /// <summary>deploy/kamailio/kamailio.cfg of this repository (it includes the other files of its folder).</summary>
    public required string ConfigPath { get; init; }
    /// <summary>
    /// Where Kamailio keeps its runtime files (a folder of the project, not /run) and its working
    /// directory: spool.db there holds call-end reports until the control plane accepted them.
    /// </summary>
    public required string RuntimeDirectory { get; init; }
    /// <summary>
    /// The TCP port on 127.0.0.1 where the edge's evapi listens for the control plane, which
    /// connects there and answers the call authorizations; 0 until started: a free port then.
    /// </summary>
    public int EvapiPort { get; init; }
}

/// <summary>A call-end report the edge parked: its Call-ID, the endpoint it is for, the control plane's last answer and when it was parked (UTC).</summary>
public sealed record ParkedEnd(string CallId, string Endpoint, int LastAnswer, DateTime ParkedAt);

/// <summary>
/// One Kamailio process, in the foreground (-DD -E) with the project's configuration, stopped by its
/// PID (SIGTERM, then kill if it lingers). Either a child whose log comes through pipes (tests that
/// start and kill edges themselves), or detached (<see cref="StartOrReuseAsync"/>, development): in
/// its own session with its log in a file of the run directory, so it outlives the web service.
/// </summary>
public sealed class SipEdgeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly LinkedList<string> _recent = new();
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _tailing = new();
    private int _stopped;

    private SipEdgeProcess(Process process, SipEdgeSettings settings, ILogger logger)
    {
        _process = process;
        Settings = settings;
        _logger = logger;
    }

    public SipEdgeSettings Settings { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Every line Kamailio logs, as it comes (the SIP benchmark reads its auth-us lines).</summary>
    public event Action<string>? Line;

    /// <summary>The last lines Kamailio logged (for diagnosing a failed test or start).</summary>
    public string RecentLog
    {
        get { lock (_lock) return string.Join('\n', _recent); }
    }

    /// <summary>The Kamailio executable on PATH (or the configured path), or null when not installed.</summary>
    public static string? FindKamailio(string configured = "kamailio")
    {
        if (configured.Contains('/')) return File.Exists(configured) ? configured : null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var folder in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/usr/local/sbin", "/sbin"]))
        {
            var candidate = Path.Combine(folder, configured);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Starts Kamailio as a child and waits until it answers an OPTIONS on its port (or fails).</summary>
    public static Task<SipEdgeProcess> StartAsync(SipEdgeSettings settings, ILogger logger, CancellationToken ct = default) =>
        StartAsync(Resolved(settings), logger, detached: false, ct);

    private static async Task<SipEdgeProcess> StartAsync(SipEdgeSettings settings, ILogger logger, bool detached, CancellationToken ct)
    {
        var executable = Executable(settings);
        Directory.CreateDirectory(settings.RuntimeDirectory);
        PrepareToposStorage(settings);

        var start = new ProcessStartInfo(detached ? "/bin/sh" : executable)
        {
            RedirectStandardError = !detached,
            RedirectStandardOutput = !detached,
            RedirectStandardInput = !detached,
            UseShellExecute = false,
            // Kamailio looks for an include_file first in its working directory: started in the
            // configuration's folder, it finds the files beside kamailio.cfg and nothing else of the
            // same name. -w moves it to the run directory once the configuration is read.
            WorkingDirectory = Path.GetDirectoryName(settings.ConfigPath),
        };
        if (detached)
        {
            // sh and setsid exec in place (same PID): Kamailio in a session of its own, so neither the
            // app's end nor a Ctrl-C in its terminal reaches it, logging to a file instead of a pipe.
            foreach (var argument in new[] { "-c", "exec setsid \"$0\" \"$@\" </dev/null >\"$OICALL_EDGE_LOG\" 2>&1", executable }) start.ArgumentList.Add(argument);
            start.Environment["OICALL_EDGE_LOG"] = Path.Combine(settings.RuntimeDirectory, LogFile);
        }
        foreach (var argument in Arguments(settings)) start.ArgumentList.Add(argument);
        // The secret stays off the command line (ps shows arguments to every local user).
        start.Environment["OICALL_EDGE_SECRET"] = settings.EdgeSecret;
        // The same secret keys the evapi link's HMAC; Kamailio 5.6 needs it as the two pads.
        (start.Environment["OICALL_EVAPI_IPAD"], start.Environment["OICALL_EVAPI_OPAD"]) = EvapiLink.Pads(settings.EdgeSecret);

        var process = Process.Start(start) ?? throw new InvalidOperationException("Kamailio did not start.");
        var edge = new SipEdgeProcess(process, settings, logger);
        if (detached) edge.TailLog(fromStart: true);
        else
        {
            process.ErrorDataReceived += (_, e) => edge.OnLine(e.Data);
            process.OutputDataReceived += (_, e) => edge.OnLine(e.Data);
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
        }

        try
        {
            await edge.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(10), ct);
        }
        catch
        {
            await edge.DisposeAsync();
            throw;
        }
        logger.LogInformation("SIP edge (Kamailio, PID {Pid}) listening on udp:{Address}:{Port}, trunk {TrunkHost}:{TrunkPort}",
            process.Id, settings.Sip.ListenAddress, settings.Sip.Port, settings.Sip.TrunkHost, settings.Sip.TrunkPort);
        return edge;
    }

    private static string Executable(SipEdgeSettings settings) => FindKamailio(settings.Sip.KamailioPath)
        ?? throw new InvalidOperationException($"Kamailio is not installed ({settings.Sip.KamailioPath} not found); apt-get install kamailio kamailio-utils-modules kamailio-extra-modules kamailio-sqlite-modules.");

    /// <summary>The settings with the configuration's full path and an evapi port (a free one when none is set).</summary>
    private static SipEdgeSettings Resolved(SipEdgeSettings settings)
    {
        settings = settings with
        {
            ConfigPath = Path.GetFullPath(settings.ConfigPath),
            EvapiPort = settings.EvapiPort > 0 ? settings.EvapiPort : FreeTcpPort(),
        };
        return File.Exists(settings.ConfigPath) ? settings : throw new FileNotFoundException("The SIP edge configuration is missing.", settings.ConfigPath);
    }

    /// <summary>The detached edge's log, in its run directory (rewritten at each start).</summary>
    public const string LogFile = "kamailio.log";

    /// <summary>The detached edge's pid file in its run directory: which process it is, and with what configuration it was started.</summary>
    public const string StateFile = "edge.json";

    private sealed record EdgeState(int Pid, int EvapiPort, string Fingerprint, DateTime StartedAt);

    /// <summary>
    /// The development edge: the one already running from this run directory when its pid file names
    /// a live Kamailio with this configuration file and run directory and it was started with exactly
    /// these settings (and configuration files); otherwise that one stopped and a detached one started,
    /// its pid file written. Two starts of the web service so share one edge, and a changed
    /// configuration gets a fresh one instead of a second one on the same port.
    /// </summary>
    public static async Task<SipEdgeProcess> StartOrReuseAsync(SipEdgeSettings settings, ILogger logger, CancellationToken ct = default)
    {
        var statePath = Path.Combine(settings.RuntimeDirectory, StateFile);
        var state = ReadState(statePath);
        var configPath = Path.GetFullPath(settings.ConfigPath);
        var running = state is null ? null : Adopt(state.Pid, configPath, settings.RuntimeDirectory, settings, logger);
        var resolved = Resolved(settings with { EvapiPort = settings.EvapiPort > 0 ? settings.EvapiPort : running is not null ? state!.EvapiPort : 0 });
        var fingerprint = Fingerprint(Executable(resolved), resolved);
        if (running is not null)
        {
            if (state!.Fingerprint == fingerprint)
            {
                running = new SipEdgeProcess(running._process, resolved, logger);
                running.TailLog(fromStart: false);
                try
                {
                    await running.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(5), ct);
                    logger.LogInformation("SIP edge (Kamailio, PID {Pid}, up since {Started:u}) reused on udp:{Address}:{Port}",
                        state.Pid, state.StartedAt, resolved.Sip.ListenAddress, resolved.Sip.Port);
                    return running;
                }
                catch (TimeoutException)
                {
                    logger.LogWarning("SIP edge (PID {Pid}) does not answer; starting a new one", state.Pid);
                }
            }
            else logger.LogInformation("SIP edge configuration changed; restarting Kamailio (PID {Pid})", state.Pid);
            await running.StopAsync();
        }
        var edge = await StartAsync(resolved, logger, detached: true, ct);
        WriteState(statePath, new EdgeState(edge.ProcessId, resolved.EvapiPort, fingerprint, DateTime.UtcNow));
        return edge;
    }

    private static EdgeState? ReadState(string path)
    {
        try
        {
            return File.Exists(path) ? System.Text.Json.JsonSerializer.Deserialize<EdgeState>(File.ReadAllText(path)) : null;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static void WriteState(string path, EdgeState state)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, System.Text.Json.JsonSerializer.Serialize(state));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// The process behind a pid file, only when it really is a Kamailio running this configuration
    /// file from this run directory (a reused PID is someone else's process, never signalled).
    /// </summary>
    private static SipEdgeProcess? Adopt(int pid, string configPath, string runtimeDirectory, SipEdgeSettings settings, ILogger logger)
    {
        string[] commandLine;
        try { commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0'); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        bool Follows(string option, string value) => commandLine.Zip(commandLine.Skip(1)).Any(p => p.First == option && p.Second == value);
        if (commandLine.Length == 0 || Path.GetFileName(commandLine[0]) != "kamailio"
            || !Follows("-f", configPath) || !Follows("-Y", runtimeDirectory)) return null;
        try
        {
            return new SipEdgeProcess(Process.GetProcessById(pid), settings, logger);
        }
        catch (ArgumentException) { return null; }
    }

    /// <summary>What an edge was started with: the executable, every argument, the secret and the configuration files' contents.</summary>
    private static string Fingerprint(string executable, SipEdgeSettings settings)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var part in Arguments(settings).Prepend(executable).Append(settings.EdgeSecret)) hash.AppendData(Encoding.UTF8.GetBytes(part + "\n"));
        var folder = Path.GetDirectoryName(settings.ConfigPath)!;
        foreach (var file in Directory.GetFiles(folder).Where(f => f.EndsWith(".cfg", StringComparison.Ordinal) || f.EndsWith(".sql", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Follows the detached edge's log file (from its start, or from now for an edge found running).</summary>
    private void TailLog(bool fromStart)
    {
        var path = Path.Combine(Settings.RuntimeDirectory, LogFile);
        var ct = _tailing.Token;
        _ = Task.Run(async () =>
        {
            FileStream? file = null;
            try
            {
                var pending = new StringBuilder();
                var buffer = new byte[16 * 1024];
                while (!ct.IsCancellationRequested)
                {
                    if (file is null && File.Exists(path))
                    {
                        file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                        if (!fromStart) file.Seek(0, SeekOrigin.End);
                    }
                    var read = file is null ? 0 : await file.ReadAsync(buffer, ct);
                    if (read == 0)
                    {
                        await Task.Delay(100, ct);
                        continue;
                    }
                    pending.Append(Encoding.UTF8.GetString(buffer, 0, read));
                    var text = pending.ToString();
                    var end = text.LastIndexOf('\n');
                    if (end < 0) continue;
                    foreach (var line in text[..end].Split('\n')) OnLine(line);
                    pending.Clear().Append(text[(end + 1)..]);
                }
            }
            catch (OperationCanceledException) { }
            catch (IOException e) { _logger.LogDebug("SIP edge log not followed: {Error}", e.Message); }
            finally { file?.Dispose(); }
        }, CancellationToken.None);
    }

    /// <summary>The spool of call-end reports in the run directory (deploy/kamailio/ends.cfg).</summary>
    public const string SpoolDatabase = "spool.db";

    /// <summary>
    /// Call-end reports the edge gave up retrying (the control plane kept refusing them): they wait
    /// in the spool's parked table for an operator, oldest first. Read-only, beside the running edge.
    /// </summary>
    public static IReadOnlyList<ParkedEnd> ParkedEnds(string runtimeDirectory)
    {
        var path = Path.Combine(runtimeDirectory, SpoolDatabase);
        if (!File.Exists(path)) return [];
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT callid, path, answer, parked_at FROM parked ORDER BY id LIMIT 100";
        var parked = new List<ParkedEnd>();
        try
        {
            using var reader = command.ExecuteReader();
            while (reader.Read())
                parked.Add(new ParkedEnd(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), DateTime.UnixEpoch.AddSeconds(reader.GetInt64(3))));
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 1)
        {
            // No parked table yet: the edge has not opened its spool since it was created.
        }
        return parked;
    }

    /// <summary>The topology-hiding storage in the run directory (topos.db), which Kamailio opens relative to its working directory.</summary>
    public const string ToposDatabase = "topos.db";

    /// <summary>
    /// Creates (or completes) the tables of Kamailio's topos module in the run directory from
    /// topos-sqlite.sql next to the configuration: topos checks them when it loads, before the
    /// configuration can run anything. Repeatable; rows of calls in progress are kept.
    /// </summary>
    public static void PrepareToposStorage(SipEdgeSettings settings)
    {
        var schema = Path.Combine(Path.GetDirectoryName(settings.ConfigPath) ?? ".", "topos-sqlite.sql");
        if (!File.Exists(schema)) throw new FileNotFoundException("The SIP edge's topos schema is missing.", schema);
        var connection = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(settings.RuntimeDirectory, ToposDatabase),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        };
        using var db = new SqliteConnection(connection.ToString());
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = File.ReadAllText(schema);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// The command line: kamailio -f CFG -DD -E -Y RUNDIR -w RUNDIR -A NAME=value … with every value
    /// the configuration uses (it has no defaults of its own). The working directory (-w; Kamailio
    /// otherwise changes to /) holds the spool of call-end reports, so reports not yet delivered
    /// survive a restart of the edge.
    /// </summary>
    public static IReadOnlyList<string> Arguments(SipEdgeSettings s) =>
    [
        "-f", s.ConfigPath, "-DD", "-E", "-Y", s.RuntimeDirectory, "-w", s.RuntimeDirectory,
        "-A", $"LISTEN=udp:{s.Sip.ListenAddress}:{s.Sip.Port}",
        "-A", $"SIP_DOMAIN={Quoted(s.Sip.Domain)}",
        "-A", $"CP_URL={Quoted(s.ControlPlaneUrl.TrimEnd('/'))}",
        "-A", $"TRUNK_HOST={Quoted(s.Sip.TrunkHost)}",
        "-A", $"TRUNK_PORT={s.Sip.TrunkPort}",
        "-A", $"FLOOD_REQS={Positive(s.Sip.FloodRequests)}",
        "-A", $"FLOOD_WINDOW={Positive(s.Sip.FloodWindowSeconds)}",
        "-A", $"BAN_SECONDS={Positive(s.Sip.BanSeconds)}",
        "-A", $"AUTH_FAILS={Positive(s.Sip.AuthFailuresToBan)}",
        "-A", $"AUTH_FAIL_WINDOW={Positive(s.Sip.AuthFailureWindowSeconds)}",
        "-A", $"EVAPI_ADDR={Quoted($"127.0.0.1:{s.EvapiPort}")}",
        "-A", $"MAX_CALL_SECONDS={Positive(s.Sip.MaxCallSeconds)}",
        "-A", $"MAX_CALLID={SipLimits.MaxCallIdLength}",
        "-A", $"MAX_USER={SipLimits.MaxUserLength}",
        "-A", $"SPOOL_TRIES={Positive(s.Sip.SpoolTries)}",
        // Topology-hiding records must outlive the longest call and its ringing (at most 300 s).
        "-A", $"TOPOS_SECONDS={Positive(s.Sip.MaxCallSeconds) + 3600}",
        "-A", $"MAX_CONTACTS={Positive(s.Sip.MaxDevicesPerMember)}",
        .. s.Sip.FixedGrant ? (string[])["-A", "FIXED_GRANT"] : [],
        .. s.Sip.AuthTiming ? (string[])["-A", "AUTH_TIMING"] : [],
    ];

    // Zero would switch a guard off silently (or break the configuration), and Kamailio's numbers
    // are 32-bit: refuse to start instead.
    private static long Positive(long value) =>
        value is > 0 and <= int.MaxValue / 2 ? value : throw new ArgumentException($"SIP edge settings must be between 1 and {int.MaxValue / 2}, not {value}.");

    /// <summary>A TCP port on 127.0.0.1 free right now (for the edge's evapi listener).</summary>
    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Quoted(string value) =>
        value.Any(c => c is '"' or '\\' or '\r' or '\n') ? throw new ArgumentException($"Unsupported character in SIP edge setting: {value}") : $"\"{value}\"";

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_lock)
        {
            _recent.AddLast(line);
            if (_recent.Count > 400) _recent.RemoveFirst();
        }
        Line?.Invoke(line);
        if (line.Contains("CRITICAL", StringComparison.Ordinal) || line.Contains("ERROR", StringComparison.Ordinal)) _logger.LogWarning("kamailio: {Line}", line);
        else _logger.LogDebug("kamailio: {Line}", line);
    }

    private async Task WaitUntilAnsweringAsync(TimeSpan limit, CancellationToken ct)
    {
        var sip = Settings.Sip;
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Parse(sip.ListenAddress), 0));
        var local = (IPEndPoint)udp.Client.LocalEndPoint!;
        var target = new IPEndPoint(IPAddress.Parse(sip.ListenAddress), sip.Port);
        var deadline = DateTime.UtcNow + limit;
        for (var attempt = 1; DateTime.UtcNow < deadline; attempt++)
        {
            if (_process.HasExited) throw new InvalidOperationException($"Kamailio exited:\n{RecentLog}");
            var options = Encoding.ASCII.GetBytes(
                $"OPTIONS sip:{sip.ListenAddress}:{sip.Port} SIP/2.0\r\n" +
                $"Via: SIP/2.0/UDP {local.Address}:{local.Port};branch=z9hG4bK-ready-{Guid.NewGuid():N}\r\n" +
                "Max-Forwards: 70\r\n" +
                $"From: <sip:ready@{local.Address}>;tag=ready{attempt}\r\n" +
                $"To: <sip:{sip.ListenAddress}:{sip.Port}>\r\n" +
                $"Call-ID: ready-{Guid.NewGuid():N}\r\n" +
                $"CSeq: {attempt} OPTIONS\r\n" +
                "Content-Length: 0\r\n\r\n");
            await udp.SendAsync(options, target, ct);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromMilliseconds(200));
            try
            {
                var answer = await udp.ReceiveAsync(wait.Token);
                if (Encoding.ASCII.GetString(answer.Buffer).StartsWith("SIP/2.0 200", StringComparison.Ordinal)) return;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
            catch (SocketException) { await Task.Delay(100, ct); }
        }
        throw new TimeoutException($"Kamailio did not answer on udp:{sip.ListenAddress}:{sip.Port}:\n{RecentLog}");
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int SysKill(int pid, int signal);

    /// <summary>SIGTERM to the main process (it ends its children), then a hard kill after 5 s.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        try
        {
            if (!_process.HasExited)
            {
                if (!OperatingSystem.IsWindows()) _ = SysKill(_process.Id, 15);
                if (!await ExitedWithinAsync(TimeSpan.FromSeconds(5)))
                {
                    _logger.LogWarning("Kamailio (PID {Pid}) ignored SIGTERM; killing it", _process.Id);
                    _process.Kill(entireProcessTree: true);
                    await ExitedWithinAsync(TimeSpan.FromSeconds(5));
                }
            }
        }
        catch (InvalidOperationException) { }
        _logger.LogInformation("SIP edge stopped");
    }

    // Polled: an edge found running (not this process's child) cannot be waited for.
    private async Task<bool> ExitedWithinAsync(TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!_process.HasExited)
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(50);
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _tailing.CancelAsync();
        _process.Dispose();
    }
}
