namespace OiCall.Web.Infrastructure.Sms;

public sealed record SentSms(DateTime SentAt, string To, string Text);

/// <summary>
/// Development only: writes each message to the log and keeps the latest ones for the dev outbox
/// page (/dev/outbox), so codes can be read without a phone.
/// </summary>
public sealed class DevelopmentSmsSender(ILogger<DevelopmentSmsSender> logger, TimeProvider clock, LogPrivacy privacy) : ISmsSender
{
    private const int Keep = 200;
    private readonly LinkedList<SentSms> _messages = new();
    private readonly Lock _lock = new();

    public Task SendAsync(string toE164, string text, CancellationToken ct = default)
    {
        // Sms:Provider=Development also runs outside Development: the log shows the code only where LogPrivacy lets it.
        logger.LogInformation("SMS to {To}: {Text}", privacy.Number(toE164), privacy.Message(text));
        lock (_lock)
        {
            _messages.AddFirst(new SentSms(clock.GetUtcNow().UtcDateTime, toE164, text));
            if (_messages.Count > Keep) _messages.RemoveLast();
        }
        return Task.CompletedTask;
    }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<SentSms> Messages
    {
        get { lock (_lock) return [.. _messages]; }
    }
}
