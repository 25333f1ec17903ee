using Microsoft.AspNetCore.Http;

namespace OiCall.Web.Infrastructure;

public static class ProblemCodes
{
    /// <summary>Problems the framework writes (bad JSON, unknown route, wrong method) get a stable code too.</summary>
    public static void AddDefaultCode(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Extensions.ContainsKey("code")) return;
        var (code, ko, en) = context.ProblemDetails.Status switch
        {
            400 => (CommonErrors.MalformedRequest.Code, CommonErrors.MalformedRequest.Ko, CommonErrors.MalformedRequest.En),
            401 => ("unauthenticated", "로그인이 필요합니다.", "You need to log in."),
            403 => (CommonErrors.Forbidden.Code, CommonErrors.Forbidden.Ko, CommonErrors.Forbidden.En),
            404 => (CommonErrors.NotFound.Code, CommonErrors.NotFound.Ko, CommonErrors.NotFound.En),
            405 => ("method_not_allowed", "허용되지 않는 요청 방식입니다.", "Method not allowed."),
            413 => ("request_too_large", "요청이 너무 큽니다.", "The request is too large."),
            415 => ("unsupported_media_type", "지원하지 않는 형식입니다.", "Unsupported media type."),
            _ => ("server_error", "일시적인 오류가 발생했습니다.", "Something went wrong on our side."),
        };
        context.ProblemDetails.Extensions["code"] = code;
        context.ProblemDetails.Title = Text.Pick(ko, en);
    }
}
