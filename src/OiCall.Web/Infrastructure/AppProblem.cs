using System.Globalization;

namespace OiCall.Web.Infrastructure;

/// <summary>
/// A user-facing failure with a stable machine code and a message in Korean and English.
/// API endpoints turn it into problem details; pages show <see cref="Localized"/>.
/// </summary>
public sealed record ErrorInfo(string Code, int Status, string Ko, string En)
{
    public string Localized => Text.Pick(Ko, En);
}

/// <summary>Thrown for a user's mistake or a refused request; never becomes a 500.</summary>
public sealed class AppProblem(ErrorInfo error, string? field = null, TimeSpan? retryAfter = null)
    : Exception(error.En)
{
    public ErrorInfo Error { get; } = error;
    /// <summary>The input field the problem is about, when there is one.</summary>
    public string? Field { get; } = field;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    public string Localized => RetryAfter is { } wait
        ? $"{Error.Localized} ({Text.Pick($"{WaitText(wait, true)} 후 다시 시도하세요", $"try again in {WaitText(wait, false)}")})"
        : Error.Localized;

    private static string WaitText(TimeSpan wait, bool korean)
    {
        var minutes = (int)Math.Ceiling(wait.TotalMinutes);
        if (wait.TotalSeconds < 60)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            return korean ? $"{seconds}초" : $"{seconds.ToString(CultureInfo.InvariantCulture)} s";
        }
        return korean ? $"{minutes}분" : $"{minutes.ToString(CultureInfo.InvariantCulture)} min";
    }
}
