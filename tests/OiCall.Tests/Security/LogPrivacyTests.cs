using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using OiCall.Tests.Support;
using OiCall.Web.Data;
using OiCall.Web.Infrastructure;

namespace OiCall.Tests.Security;

/// <summary>Log lines show the last four digits of a number and no code, unless a developer switched that off in Development.</summary>
public sealed class LogPrivacyTests
{
    private static LogPrivacy For(string environment, bool? clearNumbers)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            clearNumbers is { } clear ? [new(LogPrivacy.Switch, clear ? "true" : "false")] : []).Build();
        return LogPrivacy.For(new HostingEnvironment { EnvironmentName = environment }, configuration);
    }

    [Theory]
    [InlineData("Production", true)]
    [InlineData("Staging", true)]
    [InlineData("Production", null)]
    [InlineData("Development", false)]
    [InlineData("Development", null)]
    public void Numbers_show_their_last_four_digits_and_texts_their_length(string environment, bool? clearNumbers)
    {
        var privacy = For(environment, clearNumbers);
        Assert.Equal("****0995", privacy.Number("+821020380995"));
        Assert.Equal("****", privacy.Number("112"));
        Assert.Equal("(11 characters)", privacy.Message("인증번호 123456"));
    }

    [Fact]
    public void Only_Development_with_the_switch_shows_them_whole()
    {
        var privacy = For("Development", clearNumbers: true);
        Assert.Equal("+821020380995", privacy.Number("+821020380995"));
        Assert.Equal("인증번호 123456", privacy.Message("인증번호 123456"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_sign_up_code_and_its_number_reach_the_log_only_with_the_switch(bool clearNumbers)
    {
        await using var app = await TestApp.StartAsync(DatabaseProvider.Sqlite, new()
        {
            ["Logging:LogLevel:Default"] = "Debug",
            [LogPrivacy.Switch] = clearNumbers ? "true" : "false",
        });
        await app.Client().SignUpStartAsync("logcheck", "기록확인", "010-6464-2828");
        var code = app.LastCodeTo("010-6464-2828");
        Assert.NotNull(code);

        var log = app.ServerLog.Text;
        Assert.Contains("SMS to ", log);
        Assert.Equal(clearNumbers, log.Contains(code));
        Assert.Equal(clearNumbers, log.Contains("1064642828"));
        Assert.Equal(!clearNumbers, log.Contains("SMS to ****2828"));
        if (!clearNumbers) Assert.DoesNotContain("6464-2828", log);
    }
}
