using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Accounts;

/// <summary>The one-time login code's rules (expiry, single use, five tries, send limits, no answer that tells an ID exists), each on both databases.</summary>
public sealed class LoginCodeRulesTests
{
    private const string Phone = "010-4321-8765";

    private static async Task<TestApp> AppWithAccountAsync(DatabaseProvider provider)
    {
        var app = await TestApp.StartAsync(provider);
        await app.SignUpAsync("hong", "홍길동", Phone);
        return app;
    }

    private static async Task<CodeSent> SendAsync(TestApp app, HttpClient client, string identifier = "hong")
    {
        var response = await client.SendLoginCodeAsync(identifier);
        await response.ShouldBe(HttpStatusCode.Accepted);
        return (await response.Content.ReadFromJsonAsync<CodeSent>())!;
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Login_works_with_the_id_or_the_mobile_number(DatabaseProvider provider)
    {
        await using var app = await AppWithAccountAsync(provider);
        var byId = await app.LogInAsync("HONG", Phone);
        var byNumber = await app.LogInAsync("01043218765", Phone);
        Assert.Equal(byId.Account.Id, byNumber.Account.Id);
        Assert.NotEqual(byId.AccessToken, byNumber.AccessToken);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_code_expires_after_five_minutes(DatabaseProvider provider)
    {
        await using var app = await AppWithAccountAsync(provider);
        var client = app.Client();

        var early = await SendAsync(app, client);
        app.Clock.Advance(TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(59));
        await (await client.VerifyAsync(early.ChallengeId, app.LastCodeTo(Phone))).ShouldBe(HttpStatusCode.OK);

        var late = await SendAsync(app, client);
        app.Clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        await (await client.VerifyAsync(late.ChallengeId, app.LastCodeTo(Phone))).ShouldBeProblem(HttpStatusCode.BadRequest, "code_rejected");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_code_works_once(DatabaseProvider provider)
    {
        await using var app = await AppWithAccountAsync(provider);
        var client = app.Client();
        var sent = await SendAsync(app, client);
        var code = app.LastCodeTo(Phone);

        await (await client.VerifyAsync(sent.ChallengeId, code)).ShouldBe(HttpStatusCode.OK);
        await (await client.VerifyAsync(sent.ChallengeId, code)).ShouldBeProblem(HttpStatusCode.BadRequest, "code_rejected");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_code_replayed_in_parallel_logs_in_exactly_once(DatabaseProvider provider)
    {
        await using var app = await AppWithAccountAsync(provider);
        var sent = await SendAsync(app, app.Client());
        var code = app.LastCodeTo(Phone);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => app.Client().VerifyAsync(sent.ChallengeId, code)));

        Assert.Equal(1, answers.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(7, answers.Count(r => r.StatusCode == HttpStatusCode.BadRequest));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Five_wrong_codes_kill_the_code(DatabaseProvider provider)
    {
        await using var app = await AppWithAccountAsync(provider);
        var client = app.Client();
        var sent = await SendAsync(app, client);
        var right = app.LastCodeTo(Phone)!;
        var wrong = ((int.Parse(right) + 1) % 1_000_000).ToString("D6");

        for (var i = 0; i < 5; i++)
            await (await client.VerifyAsync(sent.ChallengeId, wrong)).ShouldBeProblem(HttpStatusCode.BadRequest, "code_rejected");

        await (await client.VerifyAsync(sent.ChallengeId, right)).ShouldBeProblem(HttpStatusCode.BadRequest, "code_rejected");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Four_wrong_codes_still_leave_the_right_one_working(DatabaseProvider provider)
    {
        await using var app = await AppWithAccountAsync(provider);
        var client = app.Client();
        var sent = await SendAsync(app, client);
        var right = app.LastCodeTo(Phone)!;
        var wrong = ((int.Parse(right) + 500) % 1_000_000).ToString("D6");

        for (var i = 0; i < 4; i++) await client.VerifyAsync(sent.ChallengeId, wrong);

        await (await client.VerifyAsync(sent.ChallengeId, right)).ShouldBe(HttpStatusCode.OK);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Parallel_guessing_cannot_exceed_five_tries(DatabaseProvider provider)
    {
        await using var app = await AppWithAccountAsync(provider);
        var sent = await SendAsync(app, app.Client());
        var right = app.LastCodeTo(Phone)!;
        var guesses = Enumerable.Range(1, 20).Select(i => ((int.Parse(right) + i) % 1_000_000).ToString("D6"));

        await Task.WhenAll(guesses.Select(g => app.Client().VerifyAsync(sent.ChallengeId, g)));

        await using var db = app.Db();
        var challenge = await db.OtpChallenges.SingleAsync(c => c.Id == sent.ChallengeId);
        Assert.True(challenge.FailedAttempts <= 5, $"{challenge.FailedAttempts} wrong tries were counted");
        Assert.NotNull(challenge.ClosedAt);
        await (await app.Client().VerifyAsync(sent.ChallengeId, right)).ShouldBeProblem(HttpStatusCode.BadRequest, "code_rejected");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_code_only_works_for_the_attempt_it_was_sent_for(DatabaseProvider provider)
    {
        await using var app = await AppWithAccountAsync(provider);
        var client = app.Client();
        var first = await SendAsync(app, client);
        var firstCode = app.LastCodeTo(Phone);
        var second = await SendAsync(app, client);
        var secondCode = app.LastCodeTo(Phone);
        Assert.NotEqual(first.ChallengeId, second.ChallengeId);

        if (firstCode != secondCode)
            await (await client.VerifyAsync(second.ChallengeId, firstCode)).ShouldBeProblem(HttpStatusCode.BadRequest, "code_rejected");
        // The attempt of a sign-up cannot be used to log in to someone else either.
        await (await client.VerifyAsync(Guid.NewGuid(), secondCode)).ShouldBeProblem(HttpStatusCode.BadRequest, "code_rejected");
        await (await client.VerifyAsync(second.ChallengeId, secondCode)).ShouldBe(HttpStatusCode.OK);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Six_sends_to_one_number_in_ten_minutes_answer_429_with_retry_after(DatabaseProvider provider)
    {
        await using var app = await AppWithAccountAsync(provider);
        // Sign-up sent one code already; different clients (IPs) so only the per-number limit applies.
        for (var i = 0; i < 4; i++)
        {
            app.Clock.Advance(TimeSpan.FromSeconds(30));
            await (await app.Client().SendLoginCodeAsync(i % 2 == 0 ? "hong" : "010-4321-8765")).ShouldBe(HttpStatusCode.Accepted);
        }
        var sixth = await app.Client().SendLoginCodeAsync("hong");
        var problem = await sixth.ShouldBeProblem(HttpStatusCode.TooManyRequests, "too_many_code_requests");
        var retryAfter = int.Parse(sixth.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, 600);
        Assert.Equal(retryAfter, problem.GetProperty("retryAfterSeconds").GetInt32());
        Assert.Equal(5, app.MessagesTo(Phone));

        app.Clock.Advance(TimeSpan.FromSeconds(retryAfter));
        await (await app.Client().SendLoginCodeAsync("hong")).ShouldBe(HttpStatusCode.Accepted);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Six_sends_from_one_ip_in_an_hour_answer_429(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var client = app.Client("203.0.113.7");
        for (var i = 0; i < 5; i++)
        {
            await (await client.SendLoginCodeAsync($"someone{i}")).ShouldBe(HttpStatusCode.Accepted);
            app.Clock.Advance(TimeSpan.FromMinutes(5));
        }
        var sixth = await client.SendLoginCodeAsync("someone9");
        await sixth.ShouldBeProblem(HttpStatusCode.TooManyRequests, "too_many_code_requests");
        Assert.True(sixth.Headers.RetryAfter is not null);

        // Another address is not affected.
        await (await app.Client("203.0.113.8").SendLoginCodeAsync("someone9")).ShouldBe(HttpStatusCode.Accepted);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Unknown_ids_get_the_same_answer_and_no_sms(DatabaseProvider provider)
    {
        await using var app = await AppWithAccountAsync(provider);
        var smsBefore = app.Sms.Messages.Count;

        var known = await app.Client().SendLoginCodeAsync("hong");
        var unknown = await app.Client().SendLoginCodeAsync("nobody");
        var unknownNumber = await app.Client().SendLoginCodeAsync("010-0000-1111");

        var bodies = new List<System.Text.Json.JsonElement>();
        foreach (var response in new[] { known, unknown, unknownNumber })
        {
            await response.ShouldBe(HttpStatusCode.Accepted);
            var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            Assert.Equal(["challengeId", "expiresAt", "message"], body.EnumerateObject().Select(p => p.Name).Order());
            bodies.Add(body);
        }
        Assert.Equal(bodies[0].GetProperty("message").GetString(), bodies[1].GetProperty("message").GetString());
        Assert.Equal(smsBefore + 1, app.Sms.Messages.Count);

        // Any code for the unknown attempt gets the answer a wrong code gets.
        var unknownChallenge = bodies[1].GetProperty("challengeId").GetGuid();
        await (await app.Client().VerifyAsync(unknownChallenge, "123456")).ShouldBeProblem(HttpStatusCode.BadRequest, "code_rejected");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Unknown_ids_hit_the_send_limit_like_known_ones(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        for (var i = 0; i < 5; i++) await app.Client().SendLoginCodeAsync("ghost");
        await (await app.Client().SendLoginCodeAsync("ghost")).ShouldBeProblem(HttpStatusCode.TooManyRequests, "too_many_code_requests");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Codes_are_stored_only_as_a_hash_and_never_written_to_the_audit_log(DatabaseProvider provider)
    {
        await using var app = await AppWithAccountAsync(provider);
        var client = app.Client("198.51.100.23");
        var sent = await SendAsync(app, client);
        var code = app.LastCodeTo(Phone)!;
        await client.VerifyAsync(sent.ChallengeId, "000000" == code ? "111111" : "000000");
        await (await client.VerifyAsync(sent.ChallengeId, code)).ShouldBe(HttpStatusCode.OK);

        await using var db = app.Db();
        var stored = await db.OtpChallenges.SingleAsync(c => c.Id == sent.ChallengeId);
        Assert.DoesNotContain(code, stored.CodeHash);
        Assert.Equal(64, stored.CodeHash.Length);

        var entries = await db.AuditEntries.Where(e => e.Ip == "198.51.100.23").OrderBy(e => e.Id).ToListAsync();
        Assert.Equal(["login.failed", "login.succeeded"], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.DoesNotContain(code, $"{e.Subject} {e.Detail}"));
        Assert.Equal("wrong_code", entries[0].Detail);
        Assert.NotNull(entries[1].ActorAccountId);
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("abcdef")]
    [InlineData("1234567")]
    [InlineData(null)]
    public async Task A_malformed_code_is_refused_without_costing_a_try(string? code)
    {
        await using var app = await AppWithAccountAsync(DatabaseProvider.Sqlite);
        var sent = await SendAsync(app, app.Client());
        await (await app.Client().VerifyAsync(sent.ChallengeId, code)).ShouldBeProblem(HttpStatusCode.BadRequest, "invalid_code_format");

        await using var db = app.Db();
        Assert.Equal(0, (await db.OtpChallenges.SingleAsync(c => c.Id == sent.ChallengeId)).FailedAttempts);
    }
}
