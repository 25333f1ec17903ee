using System.Collections.Concurrent;

namespace OiCall.Web.Features.Telephony;

/// <summary>What an edge last said about itself over its authorization link (state.cfg of the edge).</summary>
public sealed record EdgeReport(DateTime UpSince, int Calls, int Spooled, int Parked, DateTime ReceivedAt);

/// <summary>One edge this service answers: its evapi address, whether the link is up (since when) and the edge's last report.</summary>
public sealed record EdgeLinkState(string Address, bool Connected, DateTime? ConnectedSince, DateTime? DisconnectedAt, EdgeReport? Report);

/// <summary>The authorization links of this service, one per edge it answers, as its operators see them.</summary>
public sealed class EdgeLinks(TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, EdgeLinkState> _links = new();

    public IReadOnlyList<EdgeLinkState> All => [.. _links.Values.OrderBy(l => l.Address, StringComparer.Ordinal)];

    /// <summary>An edge this service is configured to answer, before its link is first up.</summary>
    public void Expect(string address) => _links.TryAdd(address, new EdgeLinkState(address, false, null, null, null));

    public void Connected(string address) =>
        _links[address] = new EdgeLinkState(address, true, clock.GetUtcNow().UtcDateTime, null, null);

    public void Disconnected(string address) =>
        _links.AddOrUpdate(address, a => new EdgeLinkState(a, false, null, clock.GetUtcNow().UtcDateTime, null),
            (_, link) => link.Connected ? link with { Connected = false, DisconnectedAt = clock.GetUtcNow().UtcDateTime } : link);

    public void Reported(string address, DateTime upSince, int calls, int spooled, int parked)
    {
        var report = new EdgeReport(upSince, calls, spooled, parked, clock.GetUtcNow().UtcDateTime);
        _links.AddOrUpdate(address, a => new EdgeLinkState(a, true, null, null, report), (_, link) => link with { Report = report });
    }
}
