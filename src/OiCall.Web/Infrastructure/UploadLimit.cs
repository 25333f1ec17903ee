using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace OiCall.Web.Infrastructure;

/// <summary>
/// An endpoint's largest body, with the answer when a body is larger. The check runs before
/// anything reads the body: the antiforgery check reads a form first, and a body over the limit
/// used to fail there as a 500. The API gets the endpoint's problem (413 with its code); a person
/// is sent back to <c>backToPage</c> with the error's code, which the page shows next to the upload.
/// Routing hands the same limit to Kestrel, which enforces it for bodies without a Content-Length.
/// </summary>
public sealed class UploadLimit(long maxBytes, ErrorInfo tooLarge, Func<HttpContext, string>? backToPage = null) : IRequestSizeLimitMetadata
{
    public long? MaxRequestBodySize => maxBytes;

    /// <summary>Middleware: after routing (it reads the endpoint), before antiforgery.</summary>
    public static async Task RefuseOversizedAsync(HttpContext http, RequestDelegate next)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<UploadLimit>() is not { } limit)
        {
            await next(http);
            return;
        }
        if (http.Request.ContentLength > limit.MaxRequestBodySize)
        {
            await limit.RefuseAsync(http);
            return;
        }
        try
        {
            await next(http);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge && !http.Response.HasStarted)
        {
            await limit.RefuseAsync(http);
        }
    }

    /// <summary>How much of a refused form a browser may still send: it shows an answer only once it has sent everything.</summary>
    private const long DrainBytes = 32 * 1024 * 1024;

    private async Task RefuseAsync(HttpContext http)
    {
        if (backToPage is null)
        {
            await ApiProblems.WriteAsync(http, new AppProblem(tooLarge, "file"));
            return;
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size && http.Request.ContentLength <= DrainBytes)
        {
            size.MaxRequestBodySize = DrainBytes;
            try
            {
                await http.Request.Body.CopyToAsync(Stream.Null, http.RequestAborted);
            }
            catch (Exception e) when (e is BadHttpRequestException or IOException or OperationCanceledException)
            {
                // The browser gave up; the redirect below goes nowhere, which is fine.
            }
        }
        http.Response.Redirect(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(backToPage(http), "err", tooLarge.Code));
    }
}
