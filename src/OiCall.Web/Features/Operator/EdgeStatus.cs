using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Audit;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Infrastructure;
using OiCall.Web.Infrastructure.SipEdge;

namespace OiCall.Web.Features.Operator;

public sealed record EdgeDevice(string Username, Guid? BusinessId, string? BusinessName, string? MemberName, string? UserAgent, DateTime? RegisteredAt, DateTime? ExpiresAt);
public sealed record EdgeCall(string CallId, string State, DateTime? StartedAt, Guid? BusinessId, string? BusinessName, string? MemberName, string? Direction);
/// <summary>A source address the edge ignores for now ("flood" or "auth"); bans expire by themselves (Sip:BanSeconds).</summary>
public sealed record EdgeBan(string Address, string Reason);
/// <summary>What the edge holds right now. <see cref="Problem"/> says why it could not be read (edge off, not answering).</summary>
public sealed record EdgeView(bool Running, string? Problem, IReadOnlyList<EdgeDevice> Devices, IReadOnlyList<EdgeCall> Calls, IReadOnlyList<EdgeBan> Bans)
{
    /// <summary>Call-end reports the edge stopped retrying: their calls are not settled until the control plane takes them.</summary>
    public IReadOnlyList<ParkedEnd> ParkedEnds { get; init; } = [];
    /// <summary>Every edge this service answers (its own and those of Sip:Edges): the link, and what the edge last said of itself over it.</summary>
    public IReadOnlyList<Telephony.EdgeLinkState> Links { get; init; } = [];
}

/// <summary>운영자 콘솔 → SIP 서버: registered devices per business and calls in progress, read from Kamailio over RPC.</summary>
public sealed class EdgeStatus(SipEdgeHost host, Telephony.EdgeLinks links, AppDbContext db, TimeProvider clock, AuditLog audit, ILogger<EdgeStatus> logger)
{
    /// <summary>
    /// Lifts a ban before it expires (an office behind one NAT address, banned for one bad app,
    /// should not wait out the ban), and forgets the source's failed authentications with it.
    /// </summary>
    public async Task LiftBanAsync(Guid operatorAccountId, string? address, CancellationToken ct = default)
    {
        if (!IPAddress.TryParse(address, out var ip)) throw new AppProblem(EdgeErrors.BadAddress, "address");
        if (host.Edge is not { HasExited: false } edge) throw new AppProblem(EdgeErrors.Unavailable);
        string? key = null;
        try
        {
            // The edge keys bans by the source address as Kamailio prints it (IPv6 uncompressed,
            // upper case): find the entry by address, then delete it by its own key.
            var bans = Bans(await EdgeRpc.CallAsync(edge.Settings.RuntimeDirectory, "htable.dump", ["bans"], ct));
            key = bans.FirstOrDefault(b => IPAddress.TryParse(b.Address, out var banned) && banned.Equals(ip))?.Address
                ?? throw new AppProblem(EdgeErrors.BanNotFound, "address");
            await EdgeRpc.CallAsync(edge.Settings.RuntimeDirectory, "htable.delete", ["bans", key], ct);
            await ForgetFailedAuthenticationsAsync(edge.Settings.RuntimeDirectory, key, ct);
        }
        catch (EdgeRpcException e)
        {
            logger.LogWarning("Lifting the ban on {Address} failed: {Error}", key ?? address, e.Message);
            throw new AppProblem(EdgeErrors.Unavailable);
        }
        audit.Add("edge.ban_lifted", operatorAccountId, key);
        await db.SaveChangesAsync(ct);
    }

    // Best effort once the ban is gone: the counter may be gone already (the edge answers "not found").
    private async Task ForgetFailedAuthenticationsAsync(string runtimeDirectory, string key, CancellationToken ct)
    {
        try
        {
            await EdgeRpc.CallAsync(runtimeDirectory, "htable.delete", ["authfail", key], ct);
        }
        catch (EdgeRpcException e)
        {
            logger.LogDebug("No failed authentications to forget for {Address}: {Error}", key, e.Message);
        }
    }

    public async Task<EdgeView> ReadAsync(CancellationToken ct = default)
    {
        // Edges running on their own (Sip:Edges) are seen through their links only.
        if (host.Edge is not { HasExited: false } edge) return new EdgeView(false, "SIP edge not running", [], [], []) { Links = links.All };
        var parked = SipEdgeProcess.ParkedEnds(edge.Settings.RuntimeDirectory);
        JsonElement registrations, dialogs, bans;
        try
        {
            registrations = await EdgeRpc.CallAsync(edge.Settings.RuntimeDirectory, "ul.dump", ct: ct);
            dialogs = await EdgeRpc.CallAsync(edge.Settings.RuntimeDirectory, "dlg.list", ct: ct);
            bans = await EdgeRpc.CallAsync(edge.Settings.RuntimeDirectory, "htable.dump", ["bans"], ct);
        }
        catch (EdgeRpcException e)
        {
            return new EdgeView(true, e.Message, [], [], []) { ParkedEnds = parked, Links = links.All };
        }

        var contacts = Contacts(registrations, clock.GetUtcNow().UtcDateTime).ToList();
        var usernames = contacts.Select(c => c.Username).Distinct().ToList();
        var owners = await db.SipCredentials.AsNoTracking().Where(c => usernames.Contains(c.Username))
            .Join(db.Members.IgnoreQueryFilters(), c => c.MemberId, m => m.Id, (c, m) => new { c.Username, m.BusinessId, Member = m.Name })
            .Join(db.Businesses.IgnoreQueryFilters(), x => x.BusinessId, b => b.Id, (x, b) => new { x.Username, x.BusinessId, x.Member, Business = b.Name })
            .ToDictionaryAsync(x => x.Username, ct);
        var devices = contacts.Select(c => owners.GetValueOrDefault(c.Username) is { } o
                ? new EdgeDevice(c.Username, o.BusinessId, o.Business, o.Member, c.UserAgent, c.RegisteredAt, c.ExpiresAt)
                : new EdgeDevice(c.Username, null, null, null, c.UserAgent, c.RegisteredAt, c.ExpiresAt))
            .OrderBy(d => d.BusinessName).ThenBy(d => d.MemberName).ToList();

        var calls = Dialogs(dialogs).ToList();
        var callIds = calls.Select(c => c.CallId).ToList();
        var records = await db.CallRecords.AsNoTracking().Where(r => callIds.Contains(r.CallId))
            .Select(r => new
            {
                r.CallId, r.BusinessId, r.Direction,
                Business = db.Businesses.IgnoreQueryFilters().Where(b => b.Id == r.BusinessId).Select(b => b.Name).FirstOrDefault(),
                Member = db.Members.IgnoreQueryFilters().Where(m => m.Id == r.MemberId).Select(m => m.Name).FirstOrDefault(),
            })
            .ToDictionaryAsync(r => r.CallId, ct);
        var known = calls.Select(c => records.GetValueOrDefault(c.CallId) is { } r
            ? c with { BusinessId = r.BusinessId, BusinessName = r.Business, MemberName = r.Member, Direction = r.Direction.ToString() }
            : c).ToList();
        return new EdgeView(true, null, devices, known, Bans(bans).OrderBy(b => b.Address, StringComparer.Ordinal).ToList()) { ParkedEnds = parked, Links = links.All };
    }

    // htable.dump: [{"entry":…,"slot":[{"name":"127.0.0.9","value":"flood",…}]}] — slots with entries only.
    private static IEnumerable<EdgeBan> Bans(JsonElement dump)
    {
        if (dump.ValueKind != JsonValueKind.Array) yield break;
        foreach (var entry in dump.EnumerateArray())
        foreach (var slot in Array(entry, "slot"))
            if (Text(slot, "name") is { } address)
                yield return new EdgeBan(address, Text(slot, "value") ?? "?");
    }

    private sealed record Contact(string Username, string? UserAgent, DateTime? RegisteredAt, DateTime? ExpiresAt);

    // ul.dump: {"Domains":[{"Domain":{"AoRs":[{"Info":{"AoR":"oc123","Contacts":[{"Contact":{"User-Agent":…,"Expires":…,"Last-Modified":…}}]}}]}}]}
    private static IEnumerable<Contact> Contacts(JsonElement dump, DateTime now)
    {
        foreach (var domain in Array(dump, "Domains"))
        foreach (var aor in Array(domain.GetProperty("Domain"), "AoRs"))
        {
            var info = aor.GetProperty("Info");
            var username = info.GetProperty("AoR").GetString() ?? "";
            foreach (var contact in Array(info, "Contacts"))
            {
                var c = contact.GetProperty("Contact");
                yield return new Contact(username, Text(c, "User-Agent"), UnixTime(c, "Last-Modified"), ExpiresAt(c, now));
            }
        }
    }

    // dlg.list: [{"call-id":…,"state":4,"start_ts":…,…}]
    private static IEnumerable<EdgeCall> Dialogs(JsonElement list)
    {
        if (list.ValueKind != JsonValueKind.Array) yield break;
        foreach (var d in list.EnumerateArray())
            yield return new EdgeCall(Text(d, "call-id") ?? "", DialogState(d), UnixTime(d, "start_ts"), null, null, null, null);
    }

    private static string DialogState(JsonElement d) => d.TryGetProperty("state", out var s) && s.TryGetInt32(out var state)
        ? state switch { 1 or 2 => "ringing", 3 => "answered", 4 => "confirmed", 5 => "ended", _ => state.ToString() }
        : "?";

    private static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        e.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray() : [];

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static DateTime? UnixTime(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.TryGetInt64(out var seconds) && seconds > 0 ? DateTime.UnixEpoch.AddSeconds(seconds) : null;

    // "Expires" is seconds left (or "permanent").
    private static DateTime? ExpiresAt(JsonElement c, DateTime now) =>
        c.TryGetProperty("Expires", out var v) && v.TryGetInt64(out var left) ? now.AddSeconds(left) : null;
}

public static class EdgeErrors
{
    public static readonly ErrorInfo BadAddress = new("invalid_address", 400, "IP 주소 형식이 아닙니다.", "That is not an IP address.");
    public static readonly ErrorInfo BanNotFound = new("ban_not_found", 404, "차단되지 않은 주소입니다.", "That address is not banned.");
    public static readonly ErrorInfo Unavailable = new("edge_unavailable", 503, "SIP 서버에 연결할 수 없습니다. 잠시 후 다시 시도하세요.", "The SIP edge cannot be reached. Try again shortly.");
}

public static class EdgeStatusApi
{
    public static void MapEdgeStatusApi(this IEndpointRouteBuilder app)
    {
        var edge = app.MapGroup("/api/v1/operator/edge").WithTags("Operator").RequireAuthorization(ApiAuth.Policy).RequireOperator();
        edge.MapGet("", async (EdgeStatus status, CancellationToken ct) => TypedResults.Ok(await status.ReadAsync(ct)))
            .WithSummary("Operator: the SIP edge now — registered devices (user agent, since when) with their business and member, calls in progress, banned sources, and call-end reports it parked after the control plane kept refusing them.");
        edge.MapDelete("/bans/{address}", async (string address, EdgeStatus status, HttpContext http, CancellationToken ct) =>
        {
            await status.LiftBanAsync(http.User.AccountId(), address, ct);
            return TypedResults.NoContent();
        }).WithSummary("Operator: lifts a ban on a source address before it expires (and forgets its failed authentications).");
    }
}
