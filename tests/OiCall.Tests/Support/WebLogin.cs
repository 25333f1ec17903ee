using System.Net;
using System.Text.RegularExpressions;

namespace OiCall.Tests.Support;

/// <summary>Drives the real HTML forms (with their antiforgery tokens) the way a browser without JavaScript would.</summary>
public static partial class WebLogin
{
    public static async Task LogInAsync(TestApp app, HttpClient browser, string identifier, string phone)
    {
        var page = await browser.GetStringAsync("/login");
        var afterSend = await PostFormAsync(browser, "/login", page, "login-start", new() { ["Start.Identifier"] = identifier });
        await afterSend.ShouldBe(HttpStatusCode.OK);
        var verifyPage = await afterSend.Content.ReadAsStringAsync();
        var challengeId = HiddenValue(verifyPage, "Verify.ChallengeId");

        var done = await PostFormAsync(browser, "/login", verifyPage, "login-verify", new()
        {
            ["Verify.ChallengeId"] = challengeId,
            ["Verify.Identifier"] = identifier,
            ["Verify.Code"] = app.LastCodeTo(phone)!,
        });
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
    }

    /// <summary>Posts a Blazor form: its handler name, the page's antiforgery token and the fields.</summary>
    public static Task<HttpResponseMessage> PostFormAsync(HttpClient browser, string url, string pageHtml, string formName, Dictionary<string, string> fields)
    {
        var body = new Dictionary<string, string>(fields)
        {
            ["_handler"] = formName,
            ["__RequestVerificationToken"] = HiddenValue(pageHtml, "__RequestVerificationToken"),
        };
        return browser.PostAsync(url, new FormUrlEncodedContent(body));
    }

    /// <summary>The same with repeated field names (checkbox lists).</summary>
    public static Task<HttpResponseMessage> PostFormAsync(HttpClient browser, string url, string pageHtml, string formName, IEnumerable<KeyValuePair<string, string>> fields) =>
        browser.PostAsync(url, new FormUrlEncodedContent(fields.Concat(
        [
            new("_handler", formName),
            new("__RequestVerificationToken", HiddenValue(pageHtml, "__RequestVerificationToken")),
        ])));

    public static string HiddenValue(string html, string name)
    {
        var match = Regex.Match(html, $"name=\"{Regex.Escape(name)}\" value=\"([^\"]*)\"");
        if (!match.Success) match = Regex.Match(html, $"value=\"([^\"]*)\"[^>]*name=\"{Regex.Escape(name)}\"");
        Assert.True(match.Success, $"No hidden field {name} on the page");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }
}
