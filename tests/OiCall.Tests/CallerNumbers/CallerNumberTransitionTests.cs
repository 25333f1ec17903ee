using OiCall.Web.Features.CallerNumbers;
using OiCall.Web.Infrastructure;

namespace OiCall.Tests.CallerNumbers;

/// <summary>Every state against every event: exactly the lifecycle's arrows are allowed, everything else is refused with a reason.</summary>
public sealed class CallerNumberTransitionTests
{
    private static readonly Dictionary<(CallerNumberState, CallerNumberEvent), CallerNumberState> Allowed = new()
    {
        [(CallerNumberState.Requested, CallerNumberEvent.CodeConfirmed)] = CallerNumberState.AwaitingDocuments,
        [(CallerNumberState.AwaitingDocuments, CallerNumberEvent.DocumentsSubmitted)] = CallerNumberState.InReview,
        [(CallerNumberState.Rejected, CallerNumberEvent.DocumentsSubmitted)] = CallerNumberState.InReview,
        [(CallerNumberState.InReview, CallerNumberEvent.OperatorApproved)] = CallerNumberState.Approved,
        [(CallerNumberState.InReview, CallerNumberEvent.OperatorRejected)] = CallerNumberState.Rejected,
        [(CallerNumberState.Requested, CallerNumberEvent.Deleted)] = CallerNumberState.Deleted,
        [(CallerNumberState.AwaitingDocuments, CallerNumberEvent.Deleted)] = CallerNumberState.Deleted,
        [(CallerNumberState.InReview, CallerNumberEvent.Deleted)] = CallerNumberState.Deleted,
        [(CallerNumberState.Approved, CallerNumberEvent.Deleted)] = CallerNumberState.Deleted,
        [(CallerNumberState.Rejected, CallerNumberEvent.Deleted)] = CallerNumberState.Deleted,
    };

    public static TheoryData<CallerNumberState, CallerNumberEvent> Pairs()
    {
        var data = new TheoryData<CallerNumberState, CallerNumberEvent>();
        foreach (var state in Enum.GetValues<CallerNumberState>())
            foreach (var change in Enum.GetValues<CallerNumberEvent>())
                data.Add(state, change);
        return data;
    }

    [Theory, MemberData(nameof(Pairs))]
    public void Only_the_lifecycle_arrows_move_a_number(CallerNumberState from, CallerNumberEvent change)
    {
        var number = InState(from);
        var now = new DateTime(2026, 11, 25, 1, 0, 0, DateTimeKind.Utc);
        if (Allowed.TryGetValue((from, change), out var to))
        {
            number.Apply(change, now, Guid.NewGuid(), "사유");
            Assert.Equal(to, number.State);
        }
        else
        {
            var refused = Assert.Throws<AppProblem>(() => number.Apply(change, now, Guid.NewGuid(), "사유"));
            Assert.Equal(from, number.State);
            Assert.False(string.IsNullOrEmpty(refused.Error.Ko));
        }
    }

    [Fact]
    public void A_rejection_without_a_reason_is_refused()
    {
        var number = InState(CallerNumberState.InReview);
        Assert.Equal("reason_required", Assert.Throws<AppProblem>(() => number.Apply(CallerNumberEvent.OperatorRejected, DateTime.UtcNow, Guid.NewGuid(), "  ")).Error.Code);
        Assert.Equal(CallerNumberState.InReview, number.State);
    }

    /// <summary>A number walked to the state through the lifecycle itself.</summary>
    private static CallerNumber InState(CallerNumberState state)
    {
        var now = DateTime.UtcNow;
        var number = CallerNumber.Register(Guid.NewGuid(), KoreanPhone.Parse("010-1234-5678")!.Value, "테스트", Guid.NewGuid(), now);
        CallerNumberEvent[] path = state switch
        {
            CallerNumberState.Requested => [],
            CallerNumberState.AwaitingDocuments => [CallerNumberEvent.CodeConfirmed],
            CallerNumberState.InReview => [CallerNumberEvent.CodeConfirmed, CallerNumberEvent.DocumentsSubmitted],
            CallerNumberState.Approved => [CallerNumberEvent.CodeConfirmed, CallerNumberEvent.DocumentsSubmitted, CallerNumberEvent.OperatorApproved],
            CallerNumberState.Rejected => [CallerNumberEvent.CodeConfirmed, CallerNumberEvent.DocumentsSubmitted, CallerNumberEvent.OperatorRejected],
            _ => [CallerNumberEvent.Deleted],
        };
        foreach (var step in path) number.Apply(step, now, Guid.NewGuid(), "사유");
        Assert.Equal(state, number.State);
        return number;
    }
}
