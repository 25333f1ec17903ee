using System.Net.Http.Json;
using System.Text.Json;
using OiCall.Tests.Support;

namespace OiCall.Tests.Operator;

/// <summary>The console's SIP edge page when there is no edge (tests with a running one are in OiCall.SipTests).</summary>
public sealed class EdgeStatusTests
{
    [Fact]
    public async Task Without_a_running_edge_operators_are_told_so_and_nothing_breaks()
    {
        await using var app = await TestApp.StartAsync();
        var operatorApi = await app.OperatorAsync();

        var view = await operatorApi.GetFromJsonAsync<JsonElement>("/api/v1/operator/edge");
        Assert.False(view.GetProperty("running").GetBoolean());
        Assert.Empty(view.GetProperty("devices").EnumerateArray());

        var browser = app.Client();
        await WebLogin.LogInAsync(app, browser, "operator", "010-9999-0000");
        var page = await browser.GetStringAsync("/operator/edge");
        Assert.Contains("SIP 서버 현황", page);
        Assert.Contains("SIP 서버가 실행 중이 아닙니다", page);

        // Lifting a ban needs the edge: a clear answer, not a 500.
        await (await operatorApi.DeleteAsync("/api/v1/operator/edge/bans/127.0.0.9")).ShouldBeProblem(System.Net.HttpStatusCode.ServiceUnavailable, "edge_unavailable");
        await (await operatorApi.DeleteAsync("/api/v1/operator/edge/bans/nonsense")).ShouldBeProblem(System.Net.HttpStatusCode.BadRequest, "invalid_address");
    }
}
