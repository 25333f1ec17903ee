using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace OiCall.SipTests;

/// <summary>
/// A hand-made SIP client on one UDP socket from a chosen 127.0.0.0/8 address: what an attacker
/// sends (floods, password guessing, scanner user agents), one request and its answer at a time.
/// </summary>
public sealed partial class SipProbe : IDisposable
{
    private readonly UdpClient _udp;
    private readonly IPEndPoint _edge;
    private int _cseq;

    public SipProbe(string localIp, int edgePort, int localPort = 0)
    {
        _udp = new UdpClient(new IPEndPoint(IPAddress.Parse(localIp), localPort));
        _edge = new IPEndPoint(IPAddress.Loopback, edgePort);
        Local = (IPEndPoint)_udp.Client.LocalEndPoint!;
    }

    public IPEndPoint Local { get; }
    public string Edge => $"{_edge.Address}:{_edge.Port}";

    public string Options(string? userAgent = null) =>
        Request("OPTIONS", $"sip:{Edge}", "probe", userAgent is null ? "" : $"User-Agent: {userAgent}\r\n");

    public string Register(string user, string extraHeaders = "") =>
        Request("REGISTER", $"sip:{Edge}", user,
            $"Contact: <sip:{user}@{Local.Address}:{Local.Port}>\r\nExpires: 60\r\n{extraHeaders}");

    public string Invite(string user, string extraHeaders = "") =>
        Request("INVITE", $"sip:0212345678@{Edge}", user, $"Contact: <sip:{user}@{Local.Address}:{Local.Port}>\r\n{extraHeaders}");

    /// <summary>A request with the usual headers; extraHeaders end in CRLF.</summary>
    public string Request(string method, string uri, string user, string extraHeaders)
    {
        var cseq = Interlocked.Increment(ref _cseq);
        var to = method == "REGISTER" ? $"<sip:{user}@{_edge.Address}>" : $"<{uri}>";
        return $"{method} {uri} SIP/2.0\r\n" +
               $"Via: SIP/2.0/UDP {Local.Address}:{Local.Port};branch=z9hG4bK-{Guid.NewGuid():N}\r\n" +
               "Max-Forwards: 70\r\n" +
               $"From: <sip:{user}@{_edge.Address}>;tag={Guid.NewGuid():N}\r\n" +
               $"To: {to}\r\n" +
               $"Call-ID: probe-{Guid.NewGuid():N}\r\n" +
               $"CSeq: {cseq} {method}\r\n" +
               extraHeaders +
               "Content-Length: 0\r\n\r\n";
    }

    public void Send(string message) => _udp.Send(Encoding.ASCII.GetBytes(message), _edge);

    /// <summary>Sends a request and returns the first final answer to it (its Call-ID and CSeq), or null if none came within the limit.</summary>
    public async Task<string?> AskAsync(string request, TimeSpan? limit = null)
    {
        var callId = Header(request, "Call-ID");
        var cseq = Header(request, "CSeq");
        Send(request);
        using var wait = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(1));
        try
        {
            while (true)
            {
                var answer = Encoding.ASCII.GetString((await _udp.ReceiveAsync(wait.Token)).Buffer);
                if (Header(answer, "Call-ID") == callId && Header(answer, "CSeq") == cseq && Status(answer) >= 200) return answer;
            }
        }
        catch (OperationCanceledException) { return null; }
    }

    /// <summary>
    /// Ten REGISTERs for <paramref name="user"/> with wrong passwords, four a second (slow enough for
    /// the flood guard, so only the failed-authentication counter counts them); each one answered.
    /// Returns the challenge they answered.
    /// </summary>
    public async Task<string> FailAuthenticationTenTimesAsync(string user)
    {
        string? challenge = null;
        for (var attempt = 1; attempt <= 10; attempt++)
        {
            // A fresh nonce each time, as a real guesser takes: a spent one is refused before the password is checked.
            challenge = await AskAsync(Register(user));
            Xunit.Assert.NotNull(challenge);
            Xunit.Assert.NotNull(await AskAsync(Register(user, Authorization(challenge, "REGISTER", $"sip:{Edge}", user, $"wrong-{attempt}"))));
            await Task.Delay(400);
        }
        return challenge!;
    }

    /// <summary>Everything that arrives within the limit (answers to requests sent before).</summary>
    public async Task<List<(DateTime At, string Text)>> DrainAsync(TimeSpan limit)
    {
        var got = new List<(DateTime, string)>();
        using var wait = new CancellationTokenSource(limit);
        try
        {
            while (true) got.Add((DateTime.UtcNow, Encoding.ASCII.GetString((await _udp.ReceiveAsync(wait.Token)).Buffer)));
        }
        catch (OperationCanceledException) { }
        return got;
    }

    /// <summary>The Authorization (or Proxy-Authorization) header answering a challenge with a password.</summary>
    public static string Authorization(string challengeAnswer, string method, string uri, string user, string password)
    {
        var proxy = Status(challengeAnswer) == 407;
        var challenge = Header(challengeAnswer, proxy ? "Proxy-Authenticate" : "WWW-Authenticate") ?? throw new InvalidOperationException("no challenge:\n" + challengeAnswer);
        var realm = Param(challenge, "realm");
        var nonce = Param(challenge, "nonce");
        const string nc = "00000001", cnonce = "0a4f113b";
        var ha1 = Md5($"{user}:{realm}:{password}");
        var ha2 = Md5($"{method}:{uri}");
        var response = Md5($"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}");
        return $"{(proxy ? "Proxy-Authorization" : "Authorization")}: Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", " +
               $"response=\"{response}\", algorithm=MD5, cnonce=\"{cnonce}\", qop=auth, nc={nc}\r\n";
    }

    private static string Md5(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));

    private static string Param(string header, string name) => Regex.Match(header, name + "=\"([^\"]*)\"").Groups[1].Value;

    public static int Status(string message) =>
        message.StartsWith("SIP/2.0 ", StringComparison.Ordinal) && int.TryParse(message.AsSpan(8, 3), out var code) ? code : 0;

    public static string StatusLine(string message) => message[..message.IndexOf('\r')];

    public static string? Header(string message, string name) =>
        message.Split("\r\n").TakeWhile(l => l.Length > 0).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)) is { } line
            ? line[(name.Length + 1)..].Trim()
            : null;

    /// <summary>The answer's shape: status line, header names in order, challenge with its nonce blanked.</summary>
    public static string Shape(string answer)
    {
        var lines = answer.Split("\r\n").TakeWhile(l => l.Length > 0).ToList();
        var shape = new List<string> { lines[0] };
        foreach (var line in lines.Skip(1))
        {
            var name = line[..line.IndexOf(':')];
            shape.Add(name.EndsWith("Authenticate", StringComparison.OrdinalIgnoreCase) ? NoncePattern().Replace(line, "nonce=\"…\"") : name);
        }
        return string.Join('\n', shape);
    }

    [GeneratedRegex("nonce=\"[^\"]*\"")]
    private static partial Regex NoncePattern();

    public void Dispose() => _udp.Dispose();
}
