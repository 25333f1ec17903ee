using System.Text.RegularExpressions;

namespace OiCall.Web.Infrastructure.Sms;

/// <summary>Rules for text that people choose and the service then texts to others.</summary>
public static partial class SmsText
{
    public static readonly ErrorInfo LinkInName = new("name_contains_link", 400,
        "이름에 인터넷 주소를 넣을 수 없습니다.", "A name cannot contain a web address.");

    /// <summary>
    /// Whether the text holds something a phone turns into a link (a scheme, www., or a name with
    /// a common top-level domain): names go into text messages sent from the service's number,
    /// which must never carry someone else's link.
    /// </summary>
    public static bool HasLink(string text) => Link().IsMatch(text);

    [GeneratedRegex(@"[a-z][a-z0-9+.-]*://|www\.|[\p{L}\p{N}-]\s*[.．。]\s*(com|net|org|kr|co|io|me|ly|gl|to|cc|xyz|info|biz|link|site|top|app|shop|click|online|dev|page|tk|ml|ga|cf|gq|kakao|naver)\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Link();
}
