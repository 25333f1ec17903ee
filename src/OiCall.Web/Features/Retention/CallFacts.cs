using System.Text.Json;
using System.Text.Json.Serialization;
using OiCall.Web.Features.Telephony;

namespace OiCall.Web.Features.Retention;

/// <summary>Which part of a call a sealed record tells.</summary>
public enum CallFactKind
{
    /// <summary>The call was let through: who, from which number to which, when, from where.</summary>
    Setup,
    /// <summary>How it ended: answered when (and by whom, inbound), ended when, how long. Linked to its setup by CallId inside the seal.</summary>
    End,
}

/// <summary>
/// What is sealed for a call (통신사실확인자료: who called whom, when, how long, from where). A call
/// gives a Setup record when it is let through and an End record when it ends, so the dialled
/// number never has to be kept anywhere between the two; the opener joins them by Call-ID.
/// </summary>
public sealed record CallFacts
{
    public required CallFactKind Kind { get; init; }
    /// <summary>The SIP Call-ID, the link between a call's Setup and End (itself not secret: call history keeps it).</summary>
    public required string CallId { get; init; }
    public required CallDirection Direction { get; init; }
    public Guid? BusinessId { get; init; }
    /// <summary>Who called (outbound) or answered (inbound End).</summary>
    public Guid? MemberId { get; init; }
    /// <summary>Outbound: the company number presented. Inbound: the customer's calling number.</summary>
    public string? From { get; init; }
    /// <summary>Outbound: the number dialled (E.164). Inbound: the company number dialled.</summary>
    public string? To { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? AnsweredAt { get; init; }
    public DateTime? EndedAt { get; init; }
    public long? DurationSeconds { get; init; }
    /// <summary>The member's network address as the edge saw it (outbound).</summary>
    public string? MemberAddress { get; init; }
    /// <summary>The SIP edge the call went through.</summary>
    public string? Edge { get; init; }
    /// <summary>How the call ended (a <see cref="CallOutcome"/> name), on End and on inbound calls nobody could be rung for.</summary>
    public string? Outcome { get; init; }

    public static CallFacts OutboundSetup(string callId, Guid businessId, Guid memberId, string presented, string? dialled, DateTime at, string? source) => new()
    {
        Kind = CallFactKind.Setup, CallId = callId, Direction = CallDirection.Outbound, BusinessId = businessId, MemberId = memberId,
        From = presented, To = dialled, StartedAt = at, MemberAddress = AddressOf(source),
    };

    public static CallFacts OutboundEnd(string callId, bool answered, long spokenSeconds, CallOutcome outcome, DateTime at) => new()
    {
        Kind = CallFactKind.End, CallId = callId, Direction = CallDirection.Outbound,
        AnsweredAt = answered ? at - TimeSpan.FromSeconds(spokenSeconds) : null, EndedAt = at, DurationSeconds = spokenSeconds, Outcome = outcome.ToString(),
    };

    /// <summary>An inbound call let in; <paramref name="outcome"/> when it ended at once (nobody to ring).</summary>
    public static CallFacts InboundSetup(string callId, Guid businessId, string? calling, string companyNumber, DateTime at, CallOutcome? outcome) => new()
    {
        Kind = CallFactKind.Setup, CallId = callId, Direction = CallDirection.Inbound, BusinessId = businessId,
        From = Bounded(calling), To = companyNumber, StartedAt = at, EndedAt = outcome is null ? null : at, Outcome = outcome?.ToString(),
    };

    public static CallFacts InboundEnd(string callId, Guid businessId, Guid? answeredBy, long spokenSeconds, DateTime at) => new()
    {
        Kind = CallFactKind.End, CallId = callId, Direction = CallDirection.Inbound, BusinessId = businessId, MemberId = answeredBy,
        AnsweredAt = answeredBy is null ? null : at - TimeSpan.FromSeconds(spokenSeconds), EndedAt = at,
        DurationSeconds = answeredBy is null ? 0 : spokenSeconds, Outcome = (answeredBy is null ? CallOutcome.NotAnswered : CallOutcome.Answered).ToString(),
    };

    // What the edge reports as the member's address is kept only when it is one.
    private static string? AddressOf(string? source) =>
        System.Net.IPAddress.TryParse(source, out var address) ? address.ToString() : null;

    // The carrier's caller ID as it came, but never more than a number could be.
    private static string? Bounded(string? value) => value is { Length: > 64 } ? value[..64] : value;

    /// <summary>The plaintext's format version, sealed with it.</summary>
    public int Version { get; init; } = 1;

    /// <summary>Plaintexts are padded to a multiple of this, so a sealed record's length does not tell a long number from a short one.</summary>
    public const int PaddedBlock = 512;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>UTF-8 JSON padded with spaces (still valid JSON) to a whole number of blocks.</summary>
    public byte[] ToPlaintext()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(this, Json);
        var padded = new byte[(json.Length / PaddedBlock + 1) * PaddedBlock];
        json.CopyTo(padded, 0);
        padded.AsSpan(json.Length).Fill((byte)' ');
        return padded;
    }

    public static CallFacts FromPlaintext(ReadOnlySpan<byte> plaintext) =>
        JsonSerializer.Deserialize<CallFacts>(plaintext, Json) ?? throw new JsonException("An empty sealed record.");
}
