using OiCall.Tests.Support;

namespace OiCall.Tests.Security;

/// <summary>The example operator belongs to Development; production refuses to start without a configured one.</summary>
public sealed class OperatorConfigurationTests
{
    [Fact]
    public async Task Outside_development_the_service_refuses_to_start_without_an_operator()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var app = await TestApp.StartAsync(settings: new()
            {
                ["environment"] = "Production",
                ["Operator:LoginId"] = "",
                ["Operator:Phone"] = "",
            });
        });
        var error = failure is InvalidOperationException ? failure : failure.InnerException ?? failure;
        Assert.Contains("Operator:LoginId", error.Message);
        Assert.Contains("Operator:Phone", error.Message);
    }

    [Fact]
    public void Only_the_development_settings_name_an_example_operator()
    {
        var web = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "OiCall.Web");
        Assert.DoesNotContain("\"Operator\"", File.ReadAllText(Path.Combine(web, "appsettings.json")));
        Assert.Contains("\"Operator\"", File.ReadAllText(Path.Combine(web, "appsettings.Development.json")));
    }
}
