namespace OiCall.Web.Infrastructure.Sms;

/// <summary>The one way the service sends a text message. Numbers are E.164.</summary>
public interface ISmsSender
{
    Task SendAsync(string toE164, string text, CancellationToken ct = default);
}

/// <summary>The gateway refused or could not be reached; the user is told to try again.</summary>
public sealed class SmsDeliveryException(string message, Exception? inner = null) : Exception(message, inner);

public sealed class SmsOptions
{
    /// <summary>"Development" keeps messages in memory and in the log; "Http" posts to a gateway.</summary>
    public string Provider { get; set; } = "Development";
    public string? Url { get; set; }
    public string? ApiKey { get; set; }
    /// <summary>The sender number registered with the gateway.</summary>
    public string? From { get; set; }
}
