using System.Globalization;

namespace OiCall.Web.Infrastructure;

/// <summary>
/// Korean first, English on request. Texts stay next to the UI that shows them:
/// <c>Text.Pick("로그인", "Log in")</c>.
/// </summary>
public static class Text
{
    public const string Korean = "ko";
    public const string English = "en";
    public static readonly string[] SupportedLanguages = [Korean, English];

    public static bool IsEnglish => CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == English;

    public static string Pick(string ko, string en) => IsEnglish ? en : ko;

    /// <summary>Times are stored in UTC and shown in Korea's time.</summary>
    public static DateTime ToSeoul(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(utc, Seoul);

    /// <summary>When the Korean calendar day containing <paramref name="utc"/> began, in UTC.</summary>
    public static DateTime SeoulDayStartUtc(DateTime utc) => TimeZoneInfo.ConvertTimeToUtc(ToSeoul(utc).Date, Seoul);

    public static string FormatSeoul(DateTime utc) => ToSeoul(utc).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static readonly TimeZoneInfo Seoul = TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul");
}
