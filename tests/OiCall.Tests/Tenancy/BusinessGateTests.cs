using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.Support;
using OiCall.Web.Features.Businesses;

namespace OiCall.Tests.Tenancy;

/// <summary>
/// Every route of one business goes through the business group's gate: one mapped beside the
/// group (with its own MapGroup or MapGet) would have to check the membership by hand, and can forget.
/// </summary>
public sealed class BusinessGateTests
{
    private static readonly string Prefix = BusinessGroup.Prefix.TrimStart('/');

    [Fact]
    public async Task Every_route_under_a_business_id_passes_the_gate()
    {
        await using var app = await TestApp.StartAsync();
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.TrimStart('/').StartsWith(Prefix, StringComparison.Ordinal))
            .ToList();

        Assert.True(endpoints.Count >= 40, $"only {endpoints.Count} business routes found");
        Assert.All(endpoints, e => Assert.True(e.Metadata.GetMetadata<BusinessGate>() is not null,
            $"{e.DisplayName} is mapped outside MapBusinessGroup(), so nothing checks the caller's membership"));
    }

    [Fact]
    public async Task The_openapi_document_lists_the_gates_answers()
    {
        await using var app = await TestApp.StartAsync();
        var paths = (await app.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json")).GetProperty("paths");

        // Admins only: another business's id is 404, a plain member 403; both are problem details.
        var balance = Responses(paths, "/api/v1/businesses/{businessId}/balance", "get");
        Assert.Equal(["200", "403", "404"], balance.EnumerateObject().Select(r => r.Name).Order());
        Assert.True(balance.GetProperty("404").GetProperty("content").TryGetProperty("application/problem+json", out _));

        // A handler that reads the tenant instead of binding the id still documents it.
        var sipSettings = paths.GetProperty("/api/v1/businesses/{businessId}/members/{memberId}/sip-settings").GetProperty("get");
        Assert.Equal(["businessId", "memberId"], sipSettings.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));

        // Any member: no 403 from the gate.
        var calls = Responses(paths, "/api/v1/businesses/{businessId}/calls", "get");
        Assert.Equal(["200", "404"], calls.EnumerateObject().Select(r => r.Name).Order());
    }

    private static JsonElement Responses(JsonElement paths, string path, string method) =>
        paths.GetProperty(path).GetProperty(method).GetProperty("responses");
}
