using System.Globalization;

namespace OiCall.Web.Infrastructure;

/// <summary>Times are stored in UTC and shown, and counted in days, in Korea's time.</summary>
public static class SeoulTime
{
    public static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul");

    public static DateTime Of(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(utc, Zone);

    /// <summary>When the Korean calendar day containing <paramref name="utc"/> began, in UTC.</summary>
    public static DateTime DayStartUtc(DateTime utc) => TimeZoneInfo.ConvertTimeToUtc(Of(utc).Date, Zone);

    public static string Format(DateTime utc) => Of(utc).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
