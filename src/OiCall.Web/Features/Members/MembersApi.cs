using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Members;

public sealed record AddMemberRequest(string? Name, string? Phone);
public sealed record UpdateMemberRequest(string? Name, string? Phone);
public sealed record SetRoleRequest(MemberRole Role);
public sealed record ContactsImportRequest(List<ContactInput>? Contacts, bool Preview);
public sealed record ContactInput(string? Name, string? Phone);

// No sign of whether the number has an account: an admin may add any number, and would learn it.
public sealed record MemberResponse(Guid Id, string Name, string Phone, string PhoneDisplay, MemberRole Role, DateTime CreatedAt);
public sealed record ImportRowResponse(int Line, string Name, string Phone, string? PhoneDisplay, ImportOutcome Outcome, string Reason);
public sealed record ImportResponse(bool Preview, int Added, int Skipped, IReadOnlyList<ImportRowResponse> Rows);

public static class MembersApi
{
    public static void MapMembersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapBusinessGroup().MapGroup("/members").WithTags("Members");

        api.MapGet("/", async (string? search, Tenant tenant, MemberRules rules, CancellationToken ct) =>
            TypedResults.Ok((await rules.ListAsync(tenant.Membership, search, ct)).Select(Response)))
            .WithSummary("Members (admins), with search by name or number.");

        api.MapGet("/me", (Tenant tenant) => TypedResults.Ok(Response(tenant.Membership.Me)))
            .AllowAnyMember().WithSummary("The caller's own membership (any member).");

        api.MapPost("/", async (AddMemberRequest body, Tenant tenant, MemberRules rules, CancellationToken ct) =>
        {
            var member = await rules.AddAsync(tenant.Membership, body.Name, body.Phone, ct);
            return TypedResults.Created($"/api/v1/businesses/{tenant.BusinessId}/members/{member.Id}", Response(member));
        }).WithSummary("멤버 등록 by hand; the member gets an SMS invite.");

        api.MapPost("/import", async Task<Results<Ok<ImportResponse>, ProblemHttpResult>> (IFormFile? file, [FromQuery] bool? preview,
            Tenant tenant, MemberRules rules, HttpContext http, CancellationToken ct) =>
        {
            if (file is null || file.Length == 0) return ApiProblems.Result(MemberErrors.ImportEmpty, http, "file");
            if (file.Length > ContactImport.MaxBytes) return ApiProblems.Result(MemberErrors.ImportTooLarge, http, "file");
            using var buffer = new MemoryStream();
            await file.CopyToAsync(buffer, ct);
            var contacts = ContactImport.Parse(buffer.ToArray());
            return TypedResults.Ok(await ImportAsync(rules, tenant.Membership, contacts, preview == true, ct));
        }).DisableAntiforgery()
          .WithSummary("Import members from a vCard (.vcf) or CSV file (multipart field 'file'); ?preview=true shows what would be added and skipped, and why.");

        api.MapPost("/import/contacts", async (ContactsImportRequest body, Tenant tenant, MemberRules rules, CancellationToken ct) =>
        {
            var contacts = (body.Contacts ?? []).Select((c, i) => new ContactRow(i + 1, c.Name, c.Phone)).ToList();
            return TypedResults.Ok(await ImportAsync(rules, tenant.Membership, contacts, body.Preview, ct));
        }).WithSummary("Import members picked from the phone's contacts (연락처에서 선택하기); preview first, then add.");

        api.MapGet("/{memberId:guid}", async (Guid memberId, Tenant tenant, MemberRules rules, CancellationToken ct) =>
            TypedResults.Ok(Response(await rules.GetAsync(tenant.Membership, memberId, ct))))
            .AllowAnyMember().WithSummary("멤버상세: admins see any member, a member only themselves.");

        api.MapPatch("/{memberId:guid}", async (Guid memberId, UpdateMemberRequest body, Tenant tenant, MemberRules rules, CancellationToken ct) =>
            TypedResults.Ok(Response(await rules.UpdateAsync(tenant.Membership, memberId, body.Name, body.Phone, ct))))
            .WithSummary("편집: name and phone.");

        api.MapPut("/{memberId:guid}/role", async (Guid memberId, SetRoleRequest body, Tenant tenant, MemberRules rules, CancellationToken ct) =>
            TypedResults.Ok(Response(await rules.SetRoleAsync(tenant.Membership, memberId, body.Role, ct))))
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("관리자로 지정 / 관리자 해제; the last admin cannot be released (409 last_admin).");

        api.MapDelete("/{memberId:guid}", async (Guid memberId, Tenant tenant, MemberRules rules, CancellationToken ct) =>
        {
            await rules.DeleteAsync(tenant.Membership, memberId, ct);
            return TypedResults.NoContent();
        }).ProducesProblem(StatusCodes.Status409Conflict)
          .WithSummary("멤버 삭제; the last admin cannot be deleted (409 last_admin).");
    }

    private static async Task<ImportResponse> ImportAsync(MemberRules rules, Membership admin, IReadOnlyList<ContactRow> contacts, bool preview, CancellationToken ct)
    {
        var rows = preview ? await rules.PlanImportAsync(admin, contacts, ct) : await rules.ImportAsync(admin, contacts, ct);
        var added = rows.Count(r => r.Outcome == ImportOutcome.Add);
        return new ImportResponse(preview, preview ? 0 : added, rows.Count - added,
            [.. rows.Select(r => new ImportRowResponse(r.Line, r.Name, r.Phone, r.PhoneDisplay, r.Outcome, r.Reason))]);
    }

    public static MemberResponse Response(Member m) => new(m.Id, m.Name, m.Phone, m.PhoneDisplay, m.Role, m.CreatedAt);
}
