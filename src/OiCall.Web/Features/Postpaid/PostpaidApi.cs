using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Postpaid;

public sealed record SetPlanRequest(BillingPlan Plan, long? MonthlyCreditMinutes);
public sealed record PlanResponse(Guid BusinessId, BillingPlan Plan, string PlanLabel, long MonthlyCreditSeconds);
public sealed record OperatorBusinessResponse(Guid Id, string Name, string MainNumberDisplay, MainNumberState MainNumberState, string MainNumberStateLabel,
    BillingPlan Plan, long MonthlyCreditSeconds, int MemberCount, DateTime CreatedAt);
public sealed record StatementLineResponse(Guid MemberId, string MemberName, string Phone, int Calls, long Seconds, long BilledMinutes);
public sealed record StatementResponse(Guid BusinessId, string BusinessName, BillingPlan Plan, string Month, bool Closed,
    IReadOnlyList<StatementLineResponse> Members, int TotalCalls, long TotalSeconds, long TotalBilledMinutes, long MonthlyCreditSeconds, long CreditRestoredSeconds);
public sealed record StatementTotalResponse(Guid BusinessId, string BusinessName, BillingPlan Plan, int Calls, long Seconds);

public static class PostpaidApi
{
    public static void MapPostpaidApi(this IEndpointRouteBuilder app)
    {
        var business = app.MapBusinessGroup().WithTags("Call time");

        business.MapGet("/statements/{month}", async (Guid businessId, string month, Statements statements, CancellationToken ct) =>
            TypedResults.Ok(Response(await statements.ForBusinessAsync(businessId, StatementMonth.Parse(month), ct))))
            .WithSummary("월별 사용 내역 (month = 2026-11, Korean calendar): calls and spoken seconds per member and in total.");

        business.MapGet("/statements/{month}.csv", async (Guid businessId, string month, Statements statements, CancellationToken ct) =>
            Csv(await statements.ForBusinessAsync(businessId, StatementMonth.Parse(month), ct)))
            .Produces<Stream>(StatusCodes.Status200OK, "text/csv")
            .WithSummary("The monthly statement as CSV (Excel reads it).");

        var operatorApi = app.MapGroup("/api/v1/operator").WithTags("Operator").RequireAuthorization(ApiAuth.Policy).RequireOperator();

        operatorApi.MapGet("/businesses", async (string? search, AppDbContext db, CancellationToken ct) =>
            TypedResults.Ok(await OperatorBusinessesAsync(db, search, ct)))
            .WithSummary("Operator: businesses, newest first; search by name or number digits.");

        operatorApi.MapPut("/businesses/{businessId:guid}/plan", async (Guid businessId, SetPlanRequest body, Statements statements, HttpContext http, CancellationToken ct) =>
        {
            var planned = await statements.SetPlanAsync(http.User.AccountId(), businessId, body.Plan, body.MonthlyCreditMinutes, ct);
            return TypedResults.Ok(new PlanResponse(planned.Id, planned.Plan, planned.Plan.Label(), planned.MonthlyCreditSeconds));
        }).WithSummary("Operator: prepaid or postpaid (후불제) with a monthly credit limit in minutes.");

        operatorApi.MapGet("/businesses/{businessId:guid}/statements/{month}", async (Guid businessId, string month, Statements statements, CancellationToken ct) =>
            TypedResults.Ok(Response(await statements.ForBusinessAsync(businessId, StatementMonth.Parse(month), ct))))
            .WithSummary("Operator: one business's monthly statement.");

        operatorApi.MapGet("/businesses/{businessId:guid}/statements/{month}.csv", async (Guid businessId, string month, Statements statements, CancellationToken ct) =>
            Csv(await statements.ForBusinessAsync(businessId, StatementMonth.Parse(month), ct)))
            .WithSummary("Operator: one business's monthly statement as CSV.");

        operatorApi.MapGet("/statements/{month}", async (string month, Statements statements, CancellationToken ct) =>
            TypedResults.Ok((await statements.AllAsync(StatementMonth.Parse(month), ct)).Select(x => new StatementTotalResponse(x.Business.Id, x.Business.Name, x.Business.Plan, x.Calls, x.Seconds))))
            .WithSummary("Operator: every postpaid business (and any with usage) and its month's total.");
    }

    /// <summary>The web page's download: the current business's statement, admins only.</summary>
    public static void MapStatementDownload(this IEndpointRouteBuilder app) =>
        app.MapGet("/statements/{month}.csv", async Task<Results<FileContentHttpResult, NotFound>> (string month, Guid? business, BusinessAccess access, Statements statements, HttpContext http, CancellationToken ct) =>
        {
            Guid businessId;
            if (business is { } chosen && http.User.IsInRole(Claims.OperatorRole)) businessId = chosen;
            else if (await access.CurrentAsync(http.User, ct) is { Me.IsAdmin: true } current) businessId = current.BusinessId;
            else return TypedResults.NotFound();
            return Csv(await statements.ForBusinessAsync(businessId, StatementMonth.Parse(month), ct));
        }).RequireAuthorization().ExcludeFromDescription();

    public static async Task<List<OperatorBusinessResponse>> OperatorBusinessesAsync(AppDbContext db, string? search, CancellationToken ct)
    {
        var query = db.Businesses.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var text = search.Trim();
            var digits = new string(text.Where(char.IsAsciiDigit).ToArray());
            // Numbers are stored as E.164 (+8210…): a typed 010… matches without its leading 0.
            var national = digits.TrimStart('0');
            query = query.Where(b => b.Name.Contains(text) || (national.Length >= 3 && b.MainNumber.Contains(national)));
        }
        var rows = await query.OrderByDescending(b => b.CreatedAt).Take(200)
            .Select(b => new { Business = b, Members = db.Members.Count(m => m.BusinessId == b.Id) })
            .ToListAsync(ct);
        return rows.Select(r => new OperatorBusinessResponse(r.Business.Id, r.Business.Name, r.Business.MainNumberDisplay, r.Business.MainNumberState,
            r.Business.MainNumberState.Label(), r.Business.Plan, r.Business.MonthlyCreditSeconds, r.Members, r.Business.CreatedAt)).ToList();
    }

    private static StatementResponse Response(Statement s) => new(s.BusinessId, s.BusinessName, s.Plan, s.Month, s.Closed,
        s.Lines.Select(l => new StatementLineResponse(l.MemberId, l.MemberName, l.PhoneDisplay, l.Calls, l.Seconds, Statements.Minutes(l.Seconds))).ToList(),
        s.TotalCalls, s.TotalSeconds, s.Lines.Sum(l => Statements.Minutes(l.Seconds)), s.CreditLimitSeconds, s.BilledSeconds);

    private static FileContentHttpResult Csv(Statement s) =>
        TypedResults.File(Statements.Csv(s), "text/csv; charset=utf-8", $"statement-{s.Month}.csv");
}
