using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Inbound;

/// <summary>How a call to the company number reaches the members of its ring group.</summary>
public enum RingMode
{
    /// <summary>동시 착신: every member's phone rings at once; the first to answer gets the call.</summary>
    RingAll = 0,
    /// <summary>순차 착신: one member after another, in the group's order.</summary>
    Hunt = 1,
}

/// <summary>
/// 착신 설정 of a business. A business that never saved one rings every member with a SIP account
/// at once (<see cref="RingGroups.Default"/>).
/// </summary>
public sealed class RingGroup
{
    public Guid BusinessId { get; init; }
    public RingMode Mode { get; set; }
    /// <summary>Ring all: how long every phone rings. Hunt: how long each member rings before the next.</summary>
    public int RingSeconds { get; set; } = RingGroups.DefaultRingSeconds;
    public DateTime UpdatedAt { get; set; }
    public List<RingGroupMember> Members { get; init; } = [];
}

public sealed class RingGroupMember
{
    public Guid BusinessId { get; init; }
    public Guid MemberId { get; init; }
    /// <summary>0 rings first (hunt); in ring all the order only lays out the list.</summary>
    public int Position { get; set; }
}

public static class InboundErrors
{
    public static readonly ErrorInfo BadRingSeconds = new("invalid_ring_seconds", 400,
        $"울리는 시간은 {RingGroups.MinRingSeconds}초에서 {RingGroups.MaxRingSeconds}초 사이로 입력하세요.",
        $"Enter a ringing time between {RingGroups.MinRingSeconds} and {RingGroups.MaxRingSeconds} seconds.");
    public static readonly ErrorInfo BadMode = new("invalid_ring_mode", 400,
        "착신 방식은 동시 착신(ringAll) 또는 순차 착신(hunt)입니다.", "The mode is ringAll or hunt.");
    public static readonly ErrorInfo UnknownMember = new("member_not_found", 404,
        "이 업체의 멤버가 아닙니다.", "Not a member of this business.");
    public static readonly ErrorInfo DuplicateMember = new("duplicate_member", 400,
        "같은 멤버를 두 번 넣을 수 없습니다.", "A member can be in the group only once.");
}

internal sealed class RingGroupConfiguration : IEntityTypeConfiguration<RingGroup>
{
    public void Configure(EntityTypeBuilder<RingGroup> b)
    {
        b.HasKey(g => g.BusinessId);
        b.HasMany(g => g.Members).WithOne().HasForeignKey(m => m.BusinessId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RingGroupMemberConfiguration : IEntityTypeConfiguration<RingGroupMember>
{
    public void Configure(EntityTypeBuilder<RingGroupMember> b) => b.HasKey(m => new { m.BusinessId, m.MemberId });
}
