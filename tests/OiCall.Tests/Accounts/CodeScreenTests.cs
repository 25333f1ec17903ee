using System.Net;
using OiCall.Tests.Support;

namespace OiCall.Tests.Accounts;

/// <summary>Every code screen says which number the code went to and offers a new code after a countdown.</summary>
public sealed class CodeScreenTests
{
    [Fact]
    public async Task The_sign_up_code_screen_names_the_number_and_its_resend_sends_a_new_code_that_works()
    {
        await using var app = await TestApp.StartAsync();
        var browser = app.Client();
        var page = await browser.GetStringAsync("/signup");
        var fields = new Dictionary<string, string> { ["Form.LoginId"] = "newowner", ["Form.Name"] = "새사장", ["Form.Phone"] = "01031314242" };

        var codeScreen = await (await WebLogin.PostFormAsync(browser, "/signup", page, "signup-start", fields)).Content.ReadAsStringAsync();
        Assert.Contains("010-3131-4242(으)로 보낸 인증번호 6자리를 입력하세요.", codeScreen);
        Assert.Contains("data-countdown=\"30\">인증번호 다시 받기", codeScreen);
        var first = app.LastCodeTo("010-3131-4242");

        // 다시 받기 posts what was typed before, kept on the code screen.
        var resend = await WebLogin.PostFormAsync(browser, "/signup", codeScreen, "signup-start", new()
        {
            ["Form.LoginId"] = WebLogin.HiddenValue(codeScreen, "Form.LoginId"),
            ["Form.Name"] = WebLogin.HiddenValue(codeScreen, "Form.Name"),
            ["Form.Phone"] = WebLogin.HiddenValue(codeScreen, "Form.Phone"),
        });
        var secondScreen = await resend.Content.ReadAsStringAsync();
        Assert.Contains("010-3131-4242(으)로 보낸 인증번호", secondScreen);
        Assert.Equal(2, app.Sms.Messages.Count(m => m.To == "+821031314242"));

        var done = await WebLogin.PostFormAsync(browser, "/signup", secondScreen, "signup-verify", new()
        {
            ["Verify.ChallengeId"] = WebLogin.HiddenValue(secondScreen, "Verify.ChallengeId"),
            ["Verify.Code"] = app.LastCodeTo("010-3131-4242")!,
        });
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.NotNull(first);
    }

    [Fact]
    public async Task The_main_number_code_screen_names_the_main_number_and_offers_a_resend()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장", "010-5151-6161");
        var business = await owner.CreateBusinessAsync("가게", "010-5151-7171");
        var browser = app.Client();
        await WebLogin.LogInAsync(app, browser, owner.LoginId, owner.Phone);
        var page = await browser.GetStringAsync($"/businesses/{business.Id}/verify");

        var codeScreen = await (await WebLogin.PostFormAsync(browser, $"/businesses/{business.Id}/verify", page, "main-number-request", [])).Content.ReadAsStringAsync();

        Assert.Contains("010-5151-7171(으)로 보낸 인증번호 6자리를 입력하세요.", codeScreen);
        Assert.Contains("data-countdown=\"30\">인증번호 다시 받기", codeScreen);
        // The state reads as the caller numbers' do: 확인 중, not 인증요청.
        Assert.Contains(">확인 중</span>", codeScreen);
        var resent = await WebLogin.PostFormAsync(browser, $"/businesses/{business.Id}/verify", codeScreen, "main-number-request", []);
        Assert.Contains("010-5151-7171(으)로 보낸 인증번호", await resent.Content.ReadAsStringAsync());
        Assert.Equal(2, app.Sms.Messages.Count(m => m.To == "+821051517171"));
    }
}
