using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace OiCall.Tests.Support;

public sealed record CodeSent(Guid ChallengeId, DateTime ExpiresAt, string Message);
public sealed record Me(Guid Id, string LoginId, string Name, string Phone, string PhoneDisplay, bool IsOperator);
public sealed record Token(string AccessToken, string TokenType, DateTime ExpiresAt, Me Account);

/// <summary>The API calls tests make again and again, spelled once.</summary>
public static class Api
{
    public static async Task<CodeSent> SignUpStartAsync(this HttpClient client, string loginId, string name, string phone)
    {
        var response = await client.PostAsJsonAsync("/api/v1/accounts", new { loginId, name, phone });
        await response.ShouldBe(HttpStatusCode.Accepted);
        return (await response.Content.ReadFromJsonAsync<CodeSent>())!;
    }

    public static Task<HttpResponseMessage> SendLoginCodeAsync(this HttpClient client, string identifier) =>
        client.PostAsJsonAsync("/api/v1/auth/otp", new { identifier });

    public static Task<HttpResponseMessage> VerifyAsync(this HttpClient client, Guid challengeId, string? code) =>
        client.PostAsJsonAsync("/api/v1/auth/otp/verify", new { challengeId, code });

    /// <summary>Signs up through the API and returns a logged-in token.</summary>
    public static async Task<Token> SignUpAsync(this TestApp app, string loginId, string name, string phone, HttpClient? client = null)
    {
        client ??= app.Client();
        var sent = await client.SignUpStartAsync(loginId, name, phone);
        var response = await client.VerifyAsync(sent.ChallengeId, app.LastCodeTo(phone));
        await response.ShouldBe(HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<Token>())!;
    }

    public static async Task<Token> LogInAsync(this TestApp app, string identifier, string phone, HttpClient? client = null)
    {
        client ??= app.Client();
        var response = await client.SendLoginCodeAsync(identifier);
        await response.ShouldBe(HttpStatusCode.Accepted);
        var sent = (await response.Content.ReadFromJsonAsync<CodeSent>())!;
        var verified = await client.VerifyAsync(sent.ChallengeId, app.LastCodeTo(phone));
        await verified.ShouldBe(HttpStatusCode.OK);
        return (await verified.Content.ReadFromJsonAsync<Token>())!;
    }

    public static HttpClient WithToken(this HttpClient client, string token)
    {
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Asserts the status and, on failure, shows the body so the reason is visible.</summary>
    public static async Task ShouldBe(this HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
            Assert.Fail($"Expected {(int)expected} {expected} but got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Asserts a problem-details answer with the given status and stable code; returns the document.</summary>
    public static async Task<JsonElement> ShouldBeProblem(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        await response.ShouldBe(status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, json.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("title").GetString()));
        return json;
    }
}
