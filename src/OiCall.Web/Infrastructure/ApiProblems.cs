using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace OiCall.Web.Infrastructure;

/// <summary>
/// The API's error shape: RFC 9457 problem details with a stable <c>code</c>, a title in the
/// request's language and, for field errors, <c>errors</c> keyed by field.
/// </summary>
public static class ApiProblems
{
    public static ProblemDetails From(AppProblem problem, HttpContext context)
    {
        var details = new ProblemDetails
        {
            Status = problem.Error.Status,
            Title = problem.Localized,
            Type = $"https://oicall.kr/problems/{problem.Error.Code}",
            Instance = context.Request.Path,
        };
        details.Extensions["code"] = problem.Error.Code;
        if (problem.Field is { } field)
            details.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [problem.Localized] };
        if (problem.RetryAfter is { } wait)
            details.Extensions["retryAfterSeconds"] = (int)Math.Ceiling(wait.TotalSeconds);
        return details;
    }

    public static Task WriteAsync(HttpContext context, AppProblem problem)
    {
        context.Response.StatusCode = problem.Error.Status;
        if (problem.RetryAfter is { } wait)
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return context.Response.WriteAsJsonAsync(From(problem, context), (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }

    /// <summary>For endpoints that answer an error without throwing.</summary>
    public static ProblemHttpResult Result(ErrorInfo error, HttpContext context, string? field = null) =>
        TypedResults.Problem(From(new AppProblem(error, field), context));
}

/// <summary>Turns a user's mistake thrown anywhere in an API call into its problem details, never a 500.</summary>
public sealed class AppProblemHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (exception is not AppProblem problem) return false;
        await ApiProblems.WriteAsync(context, problem);
        return true;
    }
}

/// <summary>Malformed JSON or a wrong field type in a request body: 400 with a code, not a 500.</summary>
public static class CommonErrors
{
    public static readonly ErrorInfo MalformedRequest = new("malformed_request", 400,
        "요청 형식이 올바르지 않습니다.", "The request is malformed.");
    public static readonly ErrorInfo NotFound = new("not_found", 404,
        "찾을 수 없습니다.", "Not found.");
    public static readonly ErrorInfo Forbidden = new("forbidden", 403,
        "권한이 없습니다.", "You are not allowed to do this.");
}
