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
}
