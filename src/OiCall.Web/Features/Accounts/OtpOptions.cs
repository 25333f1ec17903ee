namespace OiCall.Web.Features.Accounts;

public sealed class OtpOptions
{
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>Wrong codes after which the attempt is dead.</summary>
    public int MaxWrongAttempts { get; set; } = 5;
    /// <summary>Codes to one number for one purpose (login, sign-up, main number, caller number) per window.</summary>
    public int MaxSendsPerNumber { get; set; } = 5;
    public TimeSpan NumberWindow { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>
    /// Codes requested from one IPv4 address or IPv6 /64 per window: enough for a whole office
    /// behind one NAT address logging in on a Monday morning; the per-number limits stop guessing.
    /// </summary>
    public int MaxSendsPerIp { get; set; } = 40;
    public TimeSpan IpWindow { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Wrong codes for one number and purpose in 24 hours, after which its codes stop working until the day has passed.</summary>
    public int MaxFailedCodesPerDay { get; set; } = 20;
}
