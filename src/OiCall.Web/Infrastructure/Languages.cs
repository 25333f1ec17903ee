using Microsoft.AspNetCore.Localization;

namespace OiCall.Web.Infrastructure;

/// <summary>
/// Korean unless the person chose English (cookie, or ?culture=en). The API also honours
/// Accept-Language; the web pages do not, so a browser set to English still opens in Korean first.
/// </summary>
public static class Languages
{
    public static void Configure(RequestLocalizationOptions options)
    {
        options.SetDefaultCulture(Text.Korean)
            .AddSupportedCultures(Text.SupportedLanguages)
            .AddSupportedUICultures(Text.SupportedLanguages);
        var acceptLanguage = new AcceptLanguageHeaderRequestCultureProvider { Options = options };
        options.RequestCultureProviders =
        [
            new QueryStringRequestCultureProvider { Options = options },
            new CookieRequestCultureProvider { Options = options },
            new CustomRequestCultureProvider(context => context.Request.Path.StartsWithSegments("/api")
                ? acceptLanguage.DetermineProviderCultureResult(context)
                : Task.FromResult<ProviderCultureResult?>(null)) { Options = options },
        ];
    }

    /// <summary>GET /culture/{language}?returnUrl=… remembers the choice for a year.</summary>
    public static IResult Switch(string language, string? returnUrl, HttpContext context)
    {
        if (!Text.SupportedLanguages.Contains(language)) language = Text.Korean;
        context.Response.Cookies.Append(
            CookieRequestCultureProvider.DefaultCookieName,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(language)),
            new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true });
        return TypedResults.LocalRedirect(LocalUrl(returnUrl));
    }

    /// <summary>Only paths of this site; anything else goes home (no open redirects).</summary>
    public static string LocalUrl(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url
            : "/";
}
