using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Members;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Businesses;

/// <summary>The caller's place in one business: the business and the caller's own membership.</summary>
public sealed record Membership(Business Business, Member Me)
{
    public Guid BusinessId => Business.Id;
    public Guid AccountId => Me.AccountId!.Value;
}

/// <summary>
/// The tenant gate every business route goes through: someone else's business (or a deleted one)
/// answers 404 exactly like one that does not exist; admin-only work by a plain member answers 403.
/// </summary>
public sealed class BusinessAccess(AppDbContext db)
{
    public async Task<Membership> MemberAsync(Guid businessId, ClaimsPrincipal user, CancellationToken ct = default)
    {
        var accountId = user.AccountId();
        var found = await db.Members
            .Where(m => m.BusinessId == businessId && m.AccountId == accountId)
            .Join(db.Businesses, m => m.BusinessId, b => b.Id, (m, b) => new { m, b })
            .SingleOrDefaultAsync(ct);
        return found is null ? throw new AppProblem(BusinessErrors.NotFound) : new Membership(found.b, found.m);
    }

    public async Task<Membership> AdminAsync(Guid businessId, ClaimsPrincipal user, CancellationToken ct = default)
    {
        var membership = await MemberAsync(businessId, user, ct);
        return membership.Me.IsAdmin ? membership : throw new AppProblem(BusinessErrors.AdminOnly);
    }

    /// <summary>The business the person chose last, if they still belong to it; else their first one.</summary>
    public async Task<Membership?> CurrentAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        var accountId = user.AccountId();
        var current = await db.Accounts.Where(a => a.Id == accountId).Select(a => a.CurrentBusinessId).SingleOrDefaultAsync(ct);
        var found = await db.Members
            .Where(m => m.AccountId == accountId)
            .Join(db.Businesses, m => m.BusinessId, b => b.Id, (m, b) => new { m, b })
            .OrderByDescending(x => x.b.Id == current).ThenBy(x => x.b.CreatedAt)
            .FirstOrDefaultAsync(ct);
        return found is null ? null : new Membership(found.b, found.m);
    }

    /// <summary>
    /// Serialises changes to who administers a business: a write to the business row first, so two
    /// admins demoting each other at once cannot leave it with none (a row lock on PostgreSQL,
    /// the single writer on SQLite). Call inside a transaction.
    /// </summary>
    public Task LockAsync(Guid businessId, CancellationToken ct = default) =>
        db.Businesses.Where(b => b.Id == businessId).ExecuteUpdateAsync(s => s.SetProperty(b => b.Version, b => b.Version + 1), ct);
}

/// <summary>
/// The one gate for operator-only endpoints: anyone signed in without the operator role gets
/// 403 <c>operator_only</c> (an <see cref="AppProblem"/>, so the API answers problem details).
/// </summary>
public static class OperatorAccess
{
    public static TBuilder RequireOperator<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            if (!context.HttpContext.User.IsInRole(Claims.OperatorRole)) throw new AppProblem(BusinessErrors.OperatorOnly);
            return await next(context);
        });
}
