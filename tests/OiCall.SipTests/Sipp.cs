using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace OiCall.SipTests;

/// <summary>
/// One sipp process on 127.0.0.1 with its message log (-trace_msg), killed by PID when disposed.
/// </summary>
public sealed partial class Sipp : IAsyncDisposable
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "oicall-sipp");
    private readonly Process _process;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private Sipp(Process process, string messageLog, int port)
    {
        _process = process;
        MessageLog = messageLog;
        Port = port;
    }

    public int Port { get; }
    public string MessageLog { get; }
    public TimeSpan Elapsed => _clock.Elapsed;

    public static string Scenario(string name) => Path.Combine(AppContext.BaseDirectory, "Scenarios", name);

    /// <summary>
    /// Starts sipp with a scenario from Scenarios/, on its own free SIP and media ports, from
    /// localIp (any 127.0.0.0/8 address: Linux routes all of it to lo, so the edge sees another source).
    /// </summary>
    public static Sipp Start(string scenario, IEnumerable<string> arguments, int? port = null, string localIp = "127.0.0.1")
    {
        Directory.CreateDirectory(Folder);
        var sipPort = port ?? FreeUdpPort();
        var log = Path.Combine(Folder, $"{Path.GetFileNameWithoutExtension(scenario)}-{Guid.NewGuid():N}.log");
        var start = new ProcessStartInfo("sipp")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Folder,
        };
        foreach (var a in new[] { "-sf", Scenario(scenario), "-i", localIp, "-p", sipPort.ToString(), "-mp", FreeUdpPort().ToString(),
                     "-nostdin", "-trace_msg", "-message_file", log, "-max_recv_loops", "1000" }.Concat(arguments))
            start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException("sipp did not start");
        // sipp draws a screen on stdout; drain it so it never blocks.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new Sipp(process, log, sipPort);
    }

    /// <summary>The carrier trunk: a sipp UAS answering one call.</summary>
    public static Sipp Carrier(int port) => Start("carrier_uas.xml", ["-m", "1", "-timeout", "30s"], port);

    /// <summary>A member's SIP app: -au/-ap digest, keys for the identity it sends.</summary>
    public static Sipp Member(string scenario, int edgePort, string username, string password, string dialled = "0212345678",
        string? from = null, string? display = null, string? pai = null, int holdMs = 500, string localIp = "127.0.0.1", IEnumerable<string>? extra = null) =>
        Start(scenario,
        [
            $"127.0.0.1:{edgePort}", "-m", "1", "-s", dialled, "-au", username, "-ap", password, "-d", holdMs.ToString(),
            "-key", "user", username, "-key", "from", from ?? username, "-key", "display", display ?? "Member",
            "-key", "pai", pai ?? username, "-timeout", "20s", "-timeout_error", .. extra ?? [],
        ], localIp: localIp);

    /// <summary>Waits for sipp to finish; returns its exit code (0: every call succeeded).</summary>
    public async Task<int> ExitCodeAsync(TimeSpan limit)
    {
        using var wait = new CancellationTokenSource(limit);
        try { await _process.WaitForExitAsync(wait.Token); }
        catch (OperationCanceledException) { throw new TimeoutException($"sipp did not finish within {limit}:\n{Log()}"); }
        _clock.Stop();
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    public string Log() => File.Exists(MessageLog) ? File.ReadAllText(MessageLog) : "";

    /// <summary>The SIP messages this sipp received (each as text), in order.</summary>
    public IReadOnlyList<string> Received() =>
        ReceivedPattern().Split(Log()).Skip(1).Select(m => m[..Math.Max(0, m.IndexOf("\n-----", StringComparison.Ordinal) is var end and > 0 ? end : m.Length)].Trim()).ToList();

    /// <summary>Every SIP message this sipp sent or received, with sipp's timestamp, in order.</summary>
    public IReadOnlyList<SipMessage> Messages()
    {
        var messages = new List<SipMessage>();
        foreach (Match entry in EntryPattern().Matches(Log()))
        {
            var at = DateTime.ParseExact(entry.Groups["at"].Value, "yyyy-MM-dd HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture);
            messages.Add(new SipMessage(at, entry.Groups["dir"].Value == "received", entry.Groups["text"].Value.Trim()));
        }
        return messages;
    }

    /// <summary>The status code of the last final response received, or null.</summary>
    public int? FinalStatus() =>
        Received().Select(m => StatusPattern().Match(m)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value))
            .Where(code => code >= 200).Cast<int?>().LastOrDefault();

    [GeneratedRegex(@"UDP message received \[\d+\] bytes :\s*\n")]
    private static partial Regex ReceivedPattern();

    [GeneratedRegex(@"^-{10,} (?<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})\s*\nUDP message (?<dir>sent|received)[^\n]*\n(?<text>.*?)(?=^-{10,} \d{4}-|\z)", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex EntryPattern();

    [GeneratedRegex(@"^SIP/2\.0 (\d{3})")]
    private static partial Regex StatusPattern();

    public static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { File.Delete(MessageLog); } catch (IOException) { }
    }
}

/// <summary>One SIP message from a sipp message log.</summary>
public sealed record SipMessage(DateTime At, bool Received, string Text)
{
    public string CallId => Header("Call-ID") ?? "";

    /// <summary>The request's method, or null for a response.</summary>
    public string? Method => Text.StartsWith("SIP/2.0 ", StringComparison.Ordinal) ? null : Text[..Math.Max(0, Text.IndexOf(' '))];

    /// <summary>The response's status code, or null for a request.</summary>
    public int? Status => Text.StartsWith("SIP/2.0 ", StringComparison.Ordinal) && int.TryParse(Text.AsSpan(8, 3), out var code) ? code : null;

    /// <summary>The CSeq header as "2 INVITE".</summary>
    public string CSeq => Header("CSeq") ?? "";

    public string? Header(string name)
    {
        foreach (var line in Text.Split('\n'))
        {
            if (line.Length == 0 || line == "\r") break;
            if (line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)) return line[(name.Length + 1)..].Trim();
        }
        return null;
    }
}
