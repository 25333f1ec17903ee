using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Accounts;

public sealed record SendCodeRequest([property: Description("Login ID (아이디) or mobile number")] string? Identifier);
public sealed record SignUpRequest(string? LoginId, string? Name, string? Phone);
public sealed record VerifyCodeRequest(Guid ChallengeId, string? Code);
public sealed record CodeSentResponse(Guid ChallengeId, DateTime ExpiresAt, string Message);
public sealed record TokenResponse(string AccessToken, string TokenType, DateTime ExpiresAt, MeResponse Account);
public sealed record MeResponse(Guid Id, string LoginId, string Name, string Phone, string PhoneDisplay, bool IsOperator);

public static class AuthApi
{
    public static void MapAuthApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/v1").WithTags("Accounts");

        auth.MapPost("/auth/otp", async (SendCodeRequest body, OtpService otp, HttpContext http, CancellationToken ct) =>
            TypedResults.Accepted((string?)null, Sent(await otp.StartLoginAsync(body.Identifier, ClientAddress.Of(http), ct))))
            .WithSummary("Send a login code (인증번호 받기) to the account's mobile; unknown IDs get the same answer and no SMS.");

        auth.MapPost("/accounts", async (SignUpRequest body, OtpService otp, HttpContext http, CancellationToken ct) =>
            TypedResults.Accepted((string?)null, Sent(await otp.StartSignUpAsync(body.LoginId, body.Name, body.Phone, ClientAddress.Of(http), ct))))
            .WithSummary("Start a sign-up: sends a code to the mobile number; the account exists once the code is verified.");

        auth.MapPost("/auth/otp/verify", async (VerifyCodeRequest body, OtpService otp, SessionService sessions, HttpContext http, CancellationToken ct) =>
        {
            var account = await otp.VerifyAsync(body.ChallengeId, body.Code, ClientAddress.Of(http), ct);
            var (token, expiresAt) = await sessions.OpenBearerSessionAsync(account, http, ct);
            return TypedResults.Ok(new TokenResponse(token, "Bearer", expiresAt, Me(account)));
        }).WithSummary("Verify a code: logs in (or completes sign-up) and returns a bearer token.");

        var secured = app.MapGroup("/api/v1").WithTags("Accounts").RequireAuthorization(ApiAuth.Policy);

        secured.MapPost("/auth/logout", async (SessionService sessions, HttpContext http, CancellationToken ct) =>
        {
            await sessions.RevokeAsync(http.User, ct);
            return TypedResults.NoContent();
        }).WithSummary("End this token's session.");

        secured.MapGet("/me", async Task<Results<Ok<MeResponse>, ProblemHttpResult>> (AppDbContext db, HttpContext http, CancellationToken ct) =>
        {
            var id = http.User.AccountId();
            var account = await db.Accounts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id, ct);
            return account is null ? ApiProblems.Result(CommonErrors.NotFound, http) : TypedResults.Ok(Me(account));
        }).WithSummary("The logged-in account.");
    }

    private static CodeSentResponse Sent(CodeSent sent) =>
        new(sent.ChallengeId, sent.ExpiresAt, Text.Pick("인증번호를 보냈습니다.", "A code has been sent."));

    public static MeResponse Me(Account a) => new(a.Id, a.LoginId, a.Name, a.Phone, KoreanPhone.Display(a.Phone), a.IsOperator);
}

public static class ApiAuth
{
    /// <summary>The API takes bearer tokens only; cookies belong to the web pages (and their antiforgery).</summary>
    public const string Policy = "api";
}
