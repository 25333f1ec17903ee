namespace OiCall.Web.Infrastructure;

/// <summary>The provider's support contact shown in the app (configuration "Support"), so it changes without a release.</summary>
public sealed class SupportOptions
{
    public string Phone { get; set; } = "1588-0000";
    public string Email { get; set; } = "help@oicall.kr";
}
