namespace OiCall.Web.Features.Accounts;

public sealed class OtpOptions
{
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>Wrong codes after which the attempt is dead.</summary>
    public int MaxWrongAttempts { get; set; } = 5;
    public int MaxSendsPerNumber { get; set; } = 5;
    public TimeSpan NumberWindow { get; set; } = TimeSpan.FromMinutes(10);
    public int MaxSendsPerIp { get; set; } = 5;
    public TimeSpan IpWindow { get; set; } = TimeSpan.FromHours(1);
}
