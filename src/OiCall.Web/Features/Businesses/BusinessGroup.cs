using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using OiCall.Web.Features.Accounts;

namespace OiCall.Web.Features.Businesses;

/// <summary>
/// The business an <c>/api/v1/businesses/{businessId}</c> request names, with the caller's
/// membership of it. The business group's gate fills it before the handler runs, so a handler
/// only reads it.
/// </summary>
public sealed class Tenant
{
    private static readonly object ItemKey = new();
    private Membership? _membership;

    /// <summary>The caller's membership: an admin's, unless the endpoint allows any member.</summary>
    public Membership Membership =>
        _membership ?? throw new InvalidOperationException("Only endpoints mapped on MapBusinessGroup() have a tenant.");

    public Guid BusinessId => Membership.BusinessId;

    /// <summary>Binds the request's one tenant; the gate, a filter, fills it after binding.</summary>
    public static ValueTask<Tenant?> BindAsync(HttpContext context) => ValueTask.FromResult<Tenant?>(Of(context));

    internal static Tenant Of(HttpContext context)
    {
        if (context.Items[ItemKey] is not Tenant tenant) context.Items[ItemKey] = tenant = new Tenant();
        return tenant;
    }

    internal void Admit(Membership membership) => _membership = membership;
}

/// <summary>An endpoint of the business group that any member may call; without it, only admins.</summary>
public sealed class AnyMemberAllowed
{
    public static readonly AnyMemberAllowed Instance = new();
}

/// <summary>On every endpoint behind the business group's gate (so a test can find one that is not).</summary>
public sealed class BusinessGate
{
    public static readonly BusinessGate Instance = new();
}

public static class BusinessGroup
{
    public const string Prefix = "/api/v1/businesses/{businessId:guid}";

    /// <summary>
    /// The routes of one business. Every endpoint mapped here first passes the gate: another
    /// business's id (or a deleted one) answers 404 business_not_found, a plain member 403
    /// admin_only unless the endpoint says <see cref="AllowAnyMember"/>. The gate runs after
    /// binding, so a malformed request still answers 400 first.
    /// </summary>
    public static RouteGroupBuilder MapBusinessGroup(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix).RequireAuthorization(ApiAuth.Policy);
        ((IEndpointConventionBuilder)group).Add(endpoint =>
        {
            endpoint.Metadata.Add(BusinessGate.Instance);
            endpoint.FilterFactories.Add((_, next) => context => AdmitAsync(context, next));
        });
        // Finally: the endpoint's own conventions (AllowAnyMember) have run by then.
        ((IEndpointConventionBuilder)group).Finally(endpoint =>
        {
            endpoint.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status404NotFound, typeof(ProblemDetails), ["application/problem+json"]));
            if (!endpoint.Metadata.OfType<AnyMemberAllowed>().Any())
                endpoint.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status403Forbidden, typeof(ProblemDetails), ["application/problem+json"]));
        });
        // Handlers that read the tenant do not bind businessId themselves; the document names it still.
        group.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            if (!operation.Parameters.Any(p => p.Name == "businessId"))
                operation.Parameters.Insert(0, new OpenApiParameter
                {
                    Name = "businessId", In = ParameterLocation.Path, Required = true,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
                });
            return Task.CompletedTask;
        });
        return group;
    }

    public static TBuilder AllowAnyMember<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(AnyMemberAllowed.Instance);

    private static async ValueTask<object?> AdmitAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var businessId = Guid.Parse(http.Request.RouteValues["businessId"]!.ToString()!);
        var access = http.RequestServices.GetRequiredService<BusinessAccess>();
        var anyMember = http.GetEndpoint()?.Metadata.GetMetadata<AnyMemberAllowed>() is not null;
        Tenant.Of(http).Admit(anyMember
            ? await access.MemberAsync(businessId, http.User, http.RequestAborted)
            : await access.AdminAsync(businessId, http.User, http.RequestAborted));
        return await next(context);
    }
}
