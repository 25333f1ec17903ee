using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Accounts;

/// <summary>
/// The first start creates the operator account named in configuration (Operator:LoginId,
/// Operator:Name, Operator:Phone), so someone can log in at once.
/// </summary>
public static class OperatorSeed
{
    public static async Task EnsureOperatorAsync(IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var config = scope.ServiceProvider.GetRequiredService<IConfiguration>();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("OiCall.Setup");
        var loginId = OtpService.NormalizeLoginId(config["Operator:LoginId"]);
        var phone = KoreanPhone.ParseMobile(config["Operator:Phone"]);
        if (loginId is null || phone is null)
        {
            logger.LogInformation("No operator configured (Operator:LoginId / Operator:Phone); skipping the first operator.");
            return;
        }

        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        if (await db.Accounts.AnyAsync(a => a.LoginId == loginId || a.Phone == phone.Value.E164, ct)) return;
        db.Accounts.Add(new Account
        {
            LoginId = loginId,
            Name = config["Operator:Name"] ?? "운영자",
            Phone = phone.Value.E164,
            IsOperator = true,
            CreatedAt = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(ct);
        logger.LogWarning("Created operator account '{LoginId}' ({Phone}). Log in with this ID; the code goes to that phone (in Development: the log and /dev/outbox).",
            loginId, phone.Value.Display);
    }
}
