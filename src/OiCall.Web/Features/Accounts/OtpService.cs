using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using OiCall.Web.Data;
using OiCall.Web.Features.Audit;
using OiCall.Web.Infrastructure;
using OiCall.Web.Infrastructure.Sms;

namespace OiCall.Web.Features.Accounts;

/// <summary>What the user gets back after asking for a code: the same shape whether or not the ID exists.</summary>
public sealed record CodeSent(Guid ChallengeId, DateTime ExpiresAt);

/// <summary>
/// Phone verification for sign-up and login (전화인증). The rules are those of banks and Twilio
/// Verify: random 6-digit codes kept only as a keyed hash, bound to one attempt, short-lived,
/// single use, limited wrong tries and limited sends; unknown IDs look exactly like known ones.
/// </summary>
public sealed partial class OtpService(
    AppDbContext db,
    ISmsSender sms,
    TimeProvider clock,
    IOptions<OtpOptions> options,
    ServerSecrets secrets,
    AuditLog audit,
    ILogger<OtpService> logger)
{
    private OtpOptions Rules => options.Value;

    public async Task<CodeSent> StartLoginAsync(string? identifier, string ip, CancellationToken ct = default)
    {
        var typed = (identifier ?? "").Trim();
        if (typed.Length == 0) throw new AppProblem(AccountErrors.IdentifierRequired, "identifier");

        var account = await FindAccountAsync(typed, ct);
        // A member added by an admin logs in with their number before having an account: the code
        // goes to that number and the account is made on the first right code (see VerifyAsync).
        var invited = account is null ? await InvitedMemberAsync(typed, ct) : null;
        var phone = account?.Phone ?? invited?.Phone;
        // Send limits count by the phone when it is known, otherwise by what was typed —
        // either way the 6th request answers 429, so limits do not reveal which IDs exist.
        var rateKey = phone ?? RateKeyFor(typed);
        return await IssueAsync(OtpPurpose.Login, phone, rateKey, account?.Id, ip, null, invited?.Name, ct);
    }

    public async Task<CodeSent> StartSignUpAsync(string? loginId, string? name, string? phone, string ip, CancellationToken ct = default)
    {
        var id = NormalizeLoginId(loginId) ?? throw new AppProblem(AccountErrors.InvalidLoginId, "loginId");
        var cleanName = (name ?? "").Trim();
        if (cleanName.Length is 0 or > 50) throw new AppProblem(AccountErrors.InvalidName, "name");
        var mobile = KoreanPhone.ParseMobile(phone) ?? throw new AppProblem(AccountErrors.InvalidMobile, "phone");

        // Every well-formed sign-up gets the same answer under the same limits, so nobody learns
        // here which numbers or IDs have accounts. A number that has one gets a text telling its
        // owner to log in instead (and no code: nothing can be verified); a taken ID is told only
        // to whoever proves the number with its code.
        var taken = await db.Accounts.AnyAsync(a => a.Phone == mobile.E164, ct);
        return await IssueAsync(OtpPurpose.SignUp, mobile.E164, mobile.E164, null, ip, id, cleanName, ct,
            notice: taken ? "[오이콜] 이 번호로 가입된 계정이 이미 있습니다. 회원가입 대신 이 번호로 로그인하세요. 직접 요청하지 않았다면 무시하세요." : null);
    }

    /// <summary>Sends a code that proves possession of a phone for something other than login (a main number).</summary>
    public Task<CodeSent> StartPhoneProofAsync(OtpPurpose purpose, string phoneE164, Guid subjectId, Guid accountId, string ip, CancellationToken ct = default) =>
        IssueAsync(purpose, phoneE164, phoneE164, accountId, ip, null, null, ct, subjectId);

    /// <summary>Login or sign-up: checks the code and returns the account (created for sign-up).</summary>
    public async Task<Account> VerifyAsync(Guid challengeId, string? code, string ip, CancellationToken ct = default)
    {
        var (challenge, tx) = await ConsumeAsync(challengeId, code, c => c.Purpose is OtpPurpose.Login or OtpPurpose.SignUp, ct);
        await using var _ = tx;
        var now = clock.GetUtcNow().UtcDateTime;
        var account = challenge.Purpose == OtpPurpose.SignUp ? await CreateAccountAsync(challenge, now, ct)
            : challenge.AccountId is { } accountId ? await db.Accounts.SingleAsync(a => a.Id == accountId, ct)
            : await AccountForInvitedMemberAsync(challenge, now, ct);
        account.LastLoginAt = now;
        await LinkMembershipsAsync(account, ct);
        audit.Add(challenge.Purpose == OtpPurpose.SignUp ? "signup.succeeded" : "login.succeeded", account.Id, account.LoginId);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException) when (challenge.AccountId is null)
        {
            // Lost a race for the same ID or number with another sign-up: a conflict, not a crash.
            throw new AppProblem(AccountErrors.LoginIdTaken, "loginId");
        }
        await tx.CommitAsync(ct);
        return account;
    }

    /// <summary>
    /// Checks a code against its attempt and, when it is right, closes the attempt inside a
    /// transaction that the caller commits together with what the code allows (or not at all).
    /// Wrong tries are recorded and committed at once, so they count even when the caller fails.
    /// </summary>
    public async Task<(OtpChallenge Challenge, IDbContextTransaction Transaction)> ConsumeAsync(
        Guid challengeId, string? code, Func<OtpChallenge, bool> isFor, CancellationToken ct = default)
    {
        var digits = (code ?? "").Trim();
        if (!SixDigits().IsMatch(digits)) throw new AppProblem(AccountErrors.CodeFormat, "code");

        var now = clock.GetUtcNow().UtcDateTime;
        var challenge = await db.OtpChallenges.SingleOrDefaultAsync(c => c.Id == challengeId, ct);
        if (challenge is null || !isFor(challenge) || challenge.ClosedAt is not null || challenge.ExpiresAt <= now)
        {
            await FailAsync(challenge is not null && isFor(challenge) ? challenge : null, "closed_or_expired", ct);
            throw new AppProblem(AccountErrors.CodeRejected, "code");
        }
        // Past the day's cap of wrong codes even the right one is refused: codes sent before the
        // cap was reached would otherwise give a guesser their remaining tries.
        if (await RetryAfterDailyFailuresAsync(challenge.Purpose, challenge.RateKey, now, ct) is not null)
        {
            await FailAsync(challenge, "daily_failures", ct);
            throw new AppProblem(AccountErrors.CodeRejected, "code");
        }

        if (!CryptographicOperations.FixedTimeEquals(Convert.FromHexString(Hash(challenge.Id, digits)), HashBytesOf(challenge)))
        {
            // Count the wrong try with a conditional update, so parallel guesses cannot exceed the limit.
            var max = Rules.MaxWrongAttempts;
            await db.OtpChallenges.Where(c => c.Id == challenge.Id && c.ClosedAt == null)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.FailedAttempts, c => c.FailedAttempts + 1)
                    .SetProperty(c => c.ClosedAt, c => c.FailedAttempts + 1 >= max ? now : c.ClosedAt), ct);
            await FailAsync(challenge, "wrong_code", ct);
            throw new AppProblem(AccountErrors.CodeRejected, "code");
        }

        // Close the attempt first and only proceed if this request is the one that closed it:
        // a code is usable once even when two requests race with it.
        var tx = await db.Database.BeginTransactionAsync(ct);
        var closed = await db.OtpChallenges.Where(c => c.Id == challenge.Id && c.ClosedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ClosedAt, now), ct);
        if (closed == 0)
        {
            await tx.DisposeAsync();
            await FailAsync(challenge, "replayed", ct);
            throw new AppProblem(AccountErrors.CodeRejected, "code");
        }
        return (challenge, tx);
    }

    /// <summary>Memberships added for this number before the person had an account become theirs.</summary>
    private async Task LinkMembershipsAsync(Account account, CancellationToken ct)
    {
        var waiting = await db.Members.Where(m => m.Phone == account.Phone && m.AccountId == null).ToListAsync(ct);
        foreach (var member in waiting) member.AccountId = account.Id;
        if (account.CurrentBusinessId is null && waiting.Count > 0) account.CurrentBusinessId = waiting[0].BusinessId;
    }

    private async Task<Account> CreateAccountAsync(OtpChallenge challenge, DateTime now, CancellationToken ct)
    {
        // Someone may have taken the ID or number while this code was on its way.
        if (await db.Accounts.AnyAsync(a => a.LoginId == challenge.PendingLoginId, ct)) throw new AppProblem(AccountErrors.LoginIdTaken, "loginId");
        if (await db.Accounts.AnyAsync(a => a.Phone == challenge.Phone, ct)) throw new AppProblem(AccountErrors.PhoneTaken, "phone");
        var account = new Account
        {
            LoginId = challenge.PendingLoginId!,
            Name = challenge.PendingName!,
            Phone = challenge.Phone!,
            CreatedAt = now,
        };
        db.Accounts.Add(account);
        return account;
    }

    /// <summary>A current member (of a business not deleted) with this mobile number and no account yet.</summary>
    private async Task<(string Phone, string Name)?> InvitedMemberAsync(string typed, CancellationToken ct)
    {
        if (KoreanPhone.ParseMobile(typed) is not { } mobile) return null;
        var name = await db.Members.Where(m => m.Phone == mobile.E164 && m.AccountId == null && db.Businesses.Any(b => b.Id == m.BusinessId))
            .OrderBy(m => m.CreatedAt).Select(m => m.Name).FirstOrDefaultAsync(ct);
        return name is null ? null : (mobile.E164, name);
    }

    /// <summary>
    /// A member's first login proved their number: the account is theirs from now on, named as the
    /// admin named them, with a login ID made from the number (they keep logging in with the number).
    /// If the number got an account meanwhile (a sign-up), that account is the one.
    /// </summary>
    private async Task<Account> AccountForInvitedMemberAsync(OtpChallenge challenge, DateTime now, CancellationToken ct)
    {
        if (await db.Accounts.SingleOrDefaultAsync(a => a.Phone == challenge.Phone, ct) is { } existing) return existing;
        var baseId = "m" + KoreanPhone.Display(challenge.Phone!).Replace("-", "");
        var loginId = baseId;
        for (var n = 2; await db.Accounts.AnyAsync(a => a.LoginId == loginId, ct); n++) loginId = $"{baseId}-{n}";
        var account = new Account { LoginId = loginId, Name = challenge.PendingName ?? KoreanPhone.Display(challenge.Phone!), Phone = challenge.Phone!, CreatedAt = now };
        db.Accounts.Add(account);
        return account;
    }

    /// <param name="notice">Text to send instead of a code; the attempt then takes no code at all.</param>
    private async Task<CodeSent> IssueAsync(OtpPurpose purpose, string? phone, string rateKey, Guid? accountId, string ip,
        string? pendingLoginId, string? pendingName, CancellationToken ct, Guid? subjectId = null, string? notice = null)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        ip = ClientAddress.LimitKey(ip);
        // Counted per purpose, so nobody can keep someone's login at 429 by asking for
        // caller-number or sign-up codes to their number.
        await EnforceSendLimitAsync(c => c.RateKey == rateKey && c.Purpose == purpose, Rules.MaxSendsPerNumber, Rules.NumberWindow, now, ct);
        await EnforceSendLimitAsync(c => c.Ip == ip, Rules.MaxSendsPerIp, Rules.IpWindow, now, ct);
        if (await RetryAfterDailyFailuresAsync(purpose, rateKey, now, ct) is { } wait)
            throw new AppProblem(AccountErrors.TooManyFailedCodes, retryAfter: wait);

        var id = Guid.CreateVersion7();
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        var challenge = new OtpChallenge
        {
            Id = id,
            Purpose = purpose,
            Phone = phone,
            RateKey = rateKey,
            AccountId = accountId,
            // No phone (an unknown login ID) or a notice instead of a code: store a hash no code can produce.
            CodeHash = phone is null || notice is not null ? Convert.ToHexString(RandomNumberGenerator.GetBytes(32)) : Hash(id, code),
            CreatedAt = now,
            ExpiresAt = now + Rules.CodeLifetime,
            Ip = ip,
            PendingLoginId = pendingLoginId,
            PendingName = pendingName,
            SubjectId = subjectId,
        };
        db.OtpChallenges.Add(challenge);
        await db.SaveChangesAsync(ct);

        if (phone is not null)
        {
            try
            {
                await sms.SendAsync(phone, notice ?? $"[오이콜] 인증번호 {code} ({(int)Rules.CodeLifetime.TotalMinutes}분 안에 입력하세요)", ct);
            }
            catch (SmsDeliveryException e)
            {
                logger.LogWarning(e, "Could not send a verification code");
                throw new AppProblem(AccountErrors.SmsFailed);
            }
        }
        return new CodeSent(id, challenge.ExpiresAt);
    }

    private async Task EnforceSendLimitAsync(System.Linq.Expressions.Expression<Func<OtpChallenge, bool>> scope,
        int max, TimeSpan window, DateTime now, CancellationToken ct)
    {
        var since = now - window;
        var recent = await db.OtpChallenges.Where(scope).Where(c => c.CreatedAt > since)
            .OrderByDescending(c => c.CreatedAt).Select(c => c.CreatedAt).Take(max).ToListAsync(ct);
        if (recent.Count < max) return;
        // The window frees a place when the oldest of the last `max` sends leaves it.
        var retryAfter = recent[^1] + window - now;
        throw new AppProblem(AccountErrors.TooManySends, retryAfter: retryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : retryAfter);
    }

    /// <summary>
    /// When the wrong codes for this number and purpose in the last 24 hours reached the cap: how
    /// long until enough of them are older than a day; otherwise null.
    /// </summary>
    private async Task<TimeSpan?> RetryAfterDailyFailuresAsync(OtpPurpose purpose, string rateKey, DateTime now, CancellationToken ct)
    {
        var since = now - Day;
        var failed = await db.OtpChallenges
            .Where(c => c.RateKey == rateKey && c.Purpose == purpose && c.CreatedAt > since && c.FailedAttempts > 0)
            .OrderBy(c => c.CreatedAt).Select(c => new { c.CreatedAt, c.FailedAttempts }).ToListAsync(ct);
        var total = failed.Sum(c => c.FailedAttempts);
        if (total < Rules.MaxFailedCodesPerDay) return null;
        foreach (var c in failed)
        {
            total -= c.FailedAttempts;
            if (total < Rules.MaxFailedCodesPerDay)
            {
                var wait = c.CreatedAt + Day - now;
                return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;
            }
        }
        return Day;
    }

    private static readonly TimeSpan Day = TimeSpan.FromHours(24);

    private async Task FailAsync(OtpChallenge? challenge, string reason, CancellationToken ct)
    {
        audit.Add(challenge?.Purpose switch { OtpPurpose.SignUp => "signup.failed", OtpPurpose.MainNumber => "main_number.code_failed", OtpPurpose.CallerNumber => "caller_number.code_failed", _ => "login.failed" },
            challenge?.AccountId, challenge?.PendingLoginId ?? challenge?.RateKey, reason);
        await db.SaveChangesAsync(ct);
    }

    private async Task<Account?> FindAccountAsync(string typed, CancellationToken ct)
    {
        if (KoreanPhone.ParseMobile(typed) is { } mobile)
            return await db.Accounts.SingleOrDefaultAsync(a => a.Phone == mobile.E164, ct);
        var id = NormalizeLoginId(typed);
        return id is null ? null : await db.Accounts.SingleOrDefaultAsync(a => a.LoginId == id, ct);
    }

    private static string RateKeyFor(string typed) =>
        KoreanPhone.ParseMobile(typed)?.E164 ?? ("id:" + typed.ToLowerInvariant())[..Math.Min(40, typed.Length + 3)];

    /// <summary>Lower-cased login ID, or null when it breaks the ID rules.</summary>
    public static string? NormalizeLoginId(string? value)
    {
        var id = (value ?? "").Trim().ToLowerInvariant();
        return LoginIdPattern().IsMatch(id) ? id : null;
    }

    private string Hash(Guid challengeId, string code)
    {
        var key = secrets.Get("otp");
        return Convert.ToHexString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{challengeId:N}:{code}")));
    }

    private static byte[] HashBytesOf(OtpChallenge challenge) => Convert.FromHexString(challenge.CodeHash);

    [GeneratedRegex("^[0-9]{6}$")]
    private static partial Regex SixDigits();

    [GeneratedRegex("^[a-z][a-z0-9._-]{3,19}$")]
    private static partial Regex LoginIdPattern();
}
