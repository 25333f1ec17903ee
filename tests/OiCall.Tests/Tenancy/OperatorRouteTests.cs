using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.Support;

namespace OiCall.Tests.Tenancy;

/// <summary>
/// Every route under /api/v1/operator, taken from the app's own route list, refuses a business
/// admin with 403 operator_only: a new operator route cannot be mapped without the gate.
/// </summary>
public sealed partial class OperatorRouteTests
{
    [Fact]
    public async Task Every_operator_route_refuses_a_business_admin()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");

        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.TrimStart('/').StartsWith("api/v1/operator/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => (Method: method, Template: e.RoutePattern.RawText!)))
            .ToList();
        Assert.True(routes.Count >= 12, $"only {routes.Count} operator routes found");

        foreach (var (method, template) in routes)
        {
            // The admin's own business id, so only the operator gate stands in the way.
            var path = "/" + RouteParameter().Replace(template.TrimStart('/'), m => m.Groups[1].Value switch
            {
                "businessId" => business.Id.ToString(),
                "month" => "2026-11",
                _ => Guid.NewGuid().ToString(),
            });
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is not ("GET" or "DELETE")) request.Content = JsonContent.Create(new { });
            var response = await owner.Api.SendAsync(request);
            try
            {
                await response.ShouldBeProblem(HttpStatusCode.Forbidden, "operator_only");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Assert.Fail($"{method} {template}: {e.Message}");
            }
        }
    }

    [GeneratedRegex(@"\{(\w+)(?::[^}]*)?\}")]
    private static partial Regex RouteParameter();
}
