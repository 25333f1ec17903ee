using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.Support;

namespace OiCall.Tests.Infrastructure;

/// <summary>The real HTTP gateway adapter, against a real HTTP server on 127.0.0.1 standing in for the gateway.</summary>
public sealed class HttpSmsSenderTests
{
    private sealed class FakeGateway : IAsyncDisposable
    {
        private readonly WebApplication _app;
        public List<(string? Authorization, JsonElement Body)> Received { get; } = [];
        public int AnswerStatus { get; set; } = 200;

        private FakeGateway(WebApplication app) => _app = app;

        public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/send";

        public static async Task<FakeGateway> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var gateway = new FakeGateway(app);
            app.MapPost("/send", async (HttpContext context) =>
            {
                var body = await context.Request.ReadFromJsonAsync<JsonElement>();
                lock (gateway.Received) gateway.Received.Add((context.Request.Headers.Authorization.ToString(), body));
                return Results.StatusCode(gateway.AnswerStatus);
            });
            await app.StartAsync();
            return gateway;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }

    private static Dictionary<string, string?> GatewaySettings(FakeGateway gateway) => new()
    {
        ["Sms:Provider"] = "Http",
        ["Sms:Url"] = gateway.Url,
        ["Sms:ApiKey"] = "test-key-123",
        ["Sms:From"] = "1588-0000",
    };

    [Fact]
    public async Task Codes_go_to_the_configured_gateway_with_its_key()
    {
        await using var gateway = await FakeGateway.StartAsync();
        await using var app = await TestApp.StartAsync(settings: GatewaySettings(gateway));

        var response = await app.Client().PostAsJsonAsync("/api/v1/accounts", new { loginId = "gateway1", name = "게이트", phone = "010-1357-2468" });

        await response.ShouldBe(HttpStatusCode.Accepted);
        var (authorization, body) = Assert.Single(gateway.Received);
        Assert.Equal("Bearer test-key-123", authorization);
        Assert.Equal("+821013572468", body.GetProperty("to").GetString());
        Assert.Equal("1588-0000", body.GetProperty("from").GetString());
        Assert.Matches(@"인증번호 \d{6}", body.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_failing_gateway_answers_503_with_a_clear_code()
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.AnswerStatus = 500;
        await using var app = await TestApp.StartAsync(settings: GatewaySettings(gateway));

        var response = await app.Client().PostAsJsonAsync("/api/v1/accounts", new { loginId = "gateway2", name = "게이트", phone = "010-1357-9999" });

        await response.ShouldBeProblem(HttpStatusCode.ServiceUnavailable, "sms_unavailable");
    }
}
