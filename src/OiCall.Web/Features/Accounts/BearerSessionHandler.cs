using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Accounts;

/// <summary>
/// Authenticates the mobile apps' <c>Authorization: Bearer …</c> tokens against the sessions table,
/// so a logged-out token stops working at once.
/// </summary>
public sealed class BearerSessionHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, SessionService sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var token = header["Bearer ".Length..].Trim();
        if (token.Length is 0 or > 100) return AuthenticateResult.Fail("Malformed token.");

        var found = await sessions.FindBearerAsync(token, Context.RequestAborted);
        if (found is not { } hit) return AuthenticateResult.Fail("Unknown, expired or revoked token.");
        return AuthenticateResult.Success(new AuthenticationTicket(Claims.For(hit.Account, hit.Session.Id, SchemeName), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return ApiProblems.WriteAsync(Context, new AppProblem(AccountErrors.Unauthenticated));
    }
}
