namespace OiCall.Web.Features.Businesses;

/// <summary>The name and main number as typed into the register and edit forms.</summary>
public sealed class BusinessForm
{
    public string? Name { get; set; }
    public string? MainNumber { get; set; }
}
