using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Businesses;

/// <summary>For pages: someone else's business renders the 404 page, a plain member's attempt the 403 page.</summary>
public static class PageAccess
{
    public static async Task<Membership?> AdminOrNotFoundAsync(BusinessAccess access, Guid businessId, HttpContext http, Microsoft.AspNetCore.Components.NavigationManager nav)
    {
        try
        {
            return await access.AdminAsync(businessId, http.User);
        }
        catch (AppProblem e) when (e.Error.Status == 404)
        {
            nav.NotFound();
            return null;
        }
        catch (AppProblem)
        {
            nav.NavigateTo("/forbidden");
            return null;
        }
    }

    /// <summary>The current business, where the caller is an admin; else nothing (with 404 / 403 pages).</summary>
    public static async Task<Membership?> CurrentAdminAsync(BusinessAccess access, HttpContext http, Microsoft.AspNetCore.Components.NavigationManager nav)
    {
        var current = await access.CurrentAsync(http.User);
        if (current is null)
        {
            nav.NavigateTo("/businesses/new");
            return null;
        }
        if (!current.Me.IsAdmin)
        {
            nav.NavigateTo("/forbidden");
            return null;
        }
        return current;
    }
}
