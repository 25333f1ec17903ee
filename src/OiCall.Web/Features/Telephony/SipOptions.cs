namespace OiCall.Web.Features.Telephony;

/// <summary>
/// Configuration "Sip": what members' SIP apps connect to, the Kamailio edge the service starts
/// and the limits it keeps. The one place these defaults are written: the edge's configuration
/// (deploy/kamailio) has none and gets every value from <c>SipEdgeProcess.Arguments</c>.
/// </summary>
public sealed class SipOptions
{
    /// <summary>
    /// Development: find or start the project's Kamailio edge (detached: it outlives the service and
    /// is reused by its next start). A production edge is a service of its own (deploy/systemd), and
    /// the web service only connects to it (<see cref="Edges"/>).
    /// </summary>
    public bool Enabled { get; set; }
    /// <summary>
    /// The evapi addresses ("127.0.0.1:5090") of edges running on their own that this service answers
    /// and watches; it starts none of them. Each edge's EvapiPort (its Sip:EvapiPort) is the port here.
    /// </summary>
    public List<string> Edges { get; set; } = [];
    /// <summary>The SIP domain and digest realm members' apps use (HA1 is computed with it).</summary>
    public string Domain { get; set; } = "127.0.0.1";
    /// <summary>The UDP port members' apps connect to, where the edge listens.</summary>
    public int Port { get; set; } = 5060;
    /// <summary>What members' apps are told to use (their provisioning URI).</summary>
    public string Transport { get; set; } = "UDP";
    /// <summary>The address the edge listens on.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";
    /// <summary>The carrier trunk: outbound calls go there, and only requests from there are the carrier's.</summary>
    public string TrunkHost { get; set; } = "127.0.0.1";
    public int TrunkPort { get; set; } = 5070;
    /// <summary>No single call is granted more than this, whatever the wallet holds; the edge ends any call (inbound too) at this length.</summary>
    public long MaxCallSeconds { get; set; } = 4 * 60 * 60;
    /// <summary>
    /// A call is granted (and holds) this much talk at a time: before a slice ends the edge asks for
    /// the next, and a call whose edge died is charged what it was granted, so a crash costs a member
    /// at most one slice. The last slice may be shorter (the wallet, MaxCallSeconds, the daily cap).
    /// </summary>
    public long SliceSeconds { get; set; } = 5 * 60;
    /// <summary>
    /// Session-Expires the edge puts on a member's INVITE towards the carrier (SIP session timers):
    /// a call whose edge vanished gets no refresh, and the carrier ends it within this time.
    /// </summary>
    public long SessionExpiresSeconds { get; set; } = 10 * 60;
    /// <summary>The edge's configuration; null: deploy/kamailio/kamailio.cfg of the repository.</summary>
    public string? ConfigPath { get; set; }
    /// <summary>How the edge reaches this service's /telephony/v1; null: this service's own address.</summary>
    public string? ControlPlaneUrl { get; set; }
    public string KamailioPath { get; set; } = "kamailio";
    /// <summary>The TCP port on 127.0.0.1 where the edge waits for this service's authorization link; 0: any free port.</summary>
    public int EvapiPort { get; set; }
    /// <summary>Flood guard: more requests than this from one source IP (except the trunk) within FloodWindowSeconds ban it.</summary>
    public int FloodRequests { get; set; } = 16;
    public int FloodWindowSeconds { get; set; } = 2;
    /// <summary>How long a banned source (flood or failed authentication) gets no answer at all.</summary>
    public int BanSeconds { get; set; } = 300;
    /// <summary>Failed digest attempts from one source IP, each within AuthFailureWindowSeconds of the last, that ban it.</summary>
    public int AuthFailuresToBan { get; set; } = 10;
    public int AuthFailureWindowSeconds { get; set; } = 600;
    /// <summary>
    /// Devices (registered SIP apps) per member: ring-all rings each, so this bounds how many INVITEs
    /// one inbound call fans out to. A device beyond it replaces the one whose registration was
    /// refreshed longest ago, so a member's new phone works at once.
    /// </summary>
    public int MaxDevicesPerMember { get; set; } = 5;
    /// <summary>Answers other than 200/400 (a 5xx, a 404, …) after which the edge parks a call-end report for an operator instead of retrying it.</summary>
    public int SpoolTries { get; set; } = 10;
    /// <summary>Benchmark baseline only: every authenticated call gets a constant grant, no control plane asked.</summary>
    public bool FixedGrant { get; set; }
    /// <summary>Benchmark only: the edge logs "auth-us=N" (suspend → answer, in µs) for every authorization.</summary>
    public bool AuthTiming { get; set; }
}
