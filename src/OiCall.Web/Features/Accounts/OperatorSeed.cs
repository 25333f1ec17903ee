using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Accounts;

/// <summary>
/// The first start creates the operator account named in configuration (Operator:LoginId,
/// Operator:Name, Operator:Phone), so someone can log in at once. Only Development has an
/// example operator; elsewhere the service refuses to start until one is configured.
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
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        if (loginId is null || phone is null)
        {
            // Outside Development nobody could run the service without an operator, and a default
            // one (a known ID and number) would belong to whoever holds that number.
            var environment = scope.ServiceProvider.GetRequiredService<IHostEnvironment>();
            if (!environment.IsDevelopment() && !await db.Accounts.AnyAsync(a => a.IsOperator, ct))
                throw new InvalidOperationException(
                    "No operator account exists and none is configured: set Operator:LoginId and Operator:Phone (a Korean mobile number), " +
                    "for example Operator__LoginId=admin Operator__Phone=010-…; the first start creates that operator.");
            logger.LogInformation("No operator configured (Operator:LoginId / Operator:Phone); skipping the first operator.");
            return;
        }

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
            loginId, scope.ServiceProvider.GetRequiredService<LogPrivacy>().Number(phone.Value.Display));
    }
}
