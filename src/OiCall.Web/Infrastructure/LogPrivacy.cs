using OiCall.Web.Features.Telephony;

namespace OiCall.Web.Infrastructure;

/// <summary>
/// What the service's log lines may say of phone numbers and the texts sent to them (codes among
/// them): the last four digits of a number and the length of a text. Logs are read by more people
/// and kept longer than anything else. Only in Development, and only when
/// <see cref="Switch"/> is true (appsettings.Development.json sets it, so the codes of the
/// development outbox show on the console too), do they say more.
/// </summary>
public sealed class LogPrivacy(bool clear)
{
    public const string Switch = "Logging:ClearNumbers";

    public static LogPrivacy For(IHostEnvironment environment, IConfiguration configuration) =>
        new(environment.IsDevelopment() && configuration.GetValue<bool>(Switch));

    /// <summary>"****5678" (the same four digits a business may keep of a dialled number), or the number itself when the switch is on.</summary>
    public string Number(string? number) => clear ? number ?? "" : CallRecord.MaskedLastFour(number) ?? "****";

    /// <summary>"(54 characters)", or the text itself when the switch is on.</summary>
    public string Message(string text) => clear ? text : $"({text.Length} characters)";
}
