using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Audit;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Inbound;

public sealed record RingGroupLine(Guid MemberId, string Name, bool InGroup, bool HasSipAccount);
/// <summary>The group as admins see it: members in ringing order first, then the rest.</summary>
public sealed record RingGroupView(string Mode, int RingSeconds, bool Saved, IReadOnlyList<RingGroupLine> Members);
public sealed record RingGroupRequest(string? Mode, int? RingSeconds, List<Guid>? MemberIds);
/// <summary>Whom the edge rings for an incoming call, in order.</summary>
public sealed record RingTargets(RingMode Mode, int RingSeconds, IReadOnlyList<string> SipUsernames);

/// <summary>착신 설정: who answers calls to the company number, all at once or one after another.</summary>
public sealed class RingGroups(AppDbContext db, TimeProvider clock, AuditLog audit)
{
    public const int DefaultRingSeconds = 30;
    public const int MinRingSeconds = 5;
    public const int MaxRingSeconds = 120;

    public static string ModeName(RingMode mode) => mode == RingMode.Hunt ? "hunt" : "ringAll";

    public async Task<RingGroupView> GetAsync(Membership me, CancellationToken ct = default)
    {
        var group = await db.RingGroups.AsNoTracking().Include(g => g.Members).SingleOrDefaultAsync(g => g.BusinessId == me.BusinessId, ct);
        var members = await db.Members.AsNoTracking().Where(m => m.BusinessId == me.BusinessId)
            .Select(m => new { m.Id, m.Name, m.CreatedAt, Sip = db.SipCredentials.Any(c => c.MemberId == m.Id) })
            .ToListAsync(ct);
        // Never saved: everyone who can take calls rings at once.
        var order = group is null
            ? members.Where(m => m.Sip).OrderBy(m => m.CreatedAt).Select(m => m.Id).ToList()
            : group.Members.OrderBy(m => m.Position).Select(m => m.MemberId).ToList();
        var lines = members
            .OrderBy(m => order.IndexOf(m.Id) is var i && i < 0 ? int.MaxValue : i).ThenBy(m => m.Name, StringComparer.Ordinal)
            .Select(m => new RingGroupLine(m.Id, m.Name, order.Contains(m.Id), m.Sip)).ToList();
        return new RingGroupView(ModeName(group?.Mode ?? RingMode.RingAll), group?.RingSeconds ?? DefaultRingSeconds, group is not null, lines);
    }

    public async Task<RingGroupView> SetAsync(Membership admin, RingGroupRequest request, CancellationToken ct = default)
    {
        var mode = request.Mode switch
        {
            "ringAll" or null => RingMode.RingAll,
            "hunt" => RingMode.Hunt,
            _ => throw new AppProblem(InboundErrors.BadMode, "mode"),
        };
        var seconds = request.RingSeconds ?? DefaultRingSeconds;
        if (seconds is < MinRingSeconds or > MaxRingSeconds) throw new AppProblem(InboundErrors.BadRingSeconds, "ringSeconds");
        var ids = request.MemberIds ?? [];
        if (ids.Distinct().Count() != ids.Count) throw new AppProblem(InboundErrors.DuplicateMember, "memberIds");
        var known = await db.Members.Where(m => m.BusinessId == admin.BusinessId && ids.Contains(m.Id)).CountAsync(ct);
        if (known != ids.Count) throw new AppProblem(InboundErrors.UnknownMember, "memberIds");

        var group = await db.RingGroups.Include(g => g.Members).SingleOrDefaultAsync(g => g.BusinessId == admin.BusinessId, ct);
        if (group is null) db.RingGroups.Add(group = new RingGroup { BusinessId = admin.BusinessId });
        group.Mode = mode;
        group.RingSeconds = seconds;
        group.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        group.Members.Clear();
        group.Members.AddRange(ids.Select((id, i) => new RingGroupMember { BusinessId = admin.BusinessId, MemberId = id, Position = i }));
        audit.Add("ring_group.updated", admin.AccountId, null, $"{ModeName(mode)} {seconds}s, {ids.Count} members", admin.BusinessId);
        await db.SaveChangesAsync(ct);
        return await GetAsync(admin, ct);
    }

    /// <summary>The SIP accounts to ring, in order: members of the group (or, never saved, everyone) who have one.</summary>
    public async Task<RingTargets> TargetsAsync(Guid businessId, CancellationToken ct = default)
    {
        var group = await db.RingGroups.AsNoTracking().SingleOrDefaultAsync(g => g.BusinessId == businessId, ct);
        var usernames = group is null
            ? await db.Members.Where(m => m.BusinessId == businessId)
                .Join(db.SipCredentials, m => m.Id, c => c.MemberId, (m, c) => new { Order = m.CreatedAt, c.Username })
                .OrderBy(x => x.Order).Select(x => x.Username).ToListAsync(ct)
            : await db.RingGroupMembers.Where(g => g.BusinessId == businessId)
                .Join(db.Members, g => g.MemberId, m => m.Id, (g, m) => g)
                .Join(db.SipCredentials, g => g.MemberId, c => c.MemberId, (g, c) => new { g.Position, c.Username })
                .OrderBy(x => x.Position).Select(x => x.Username).ToListAsync(ct);
        return new RingTargets(group?.Mode ?? RingMode.RingAll, group?.RingSeconds ?? DefaultRingSeconds, usernames);
    }
}
