using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OiCall.Tests.Support;
using OiCall.Web.Features.Ledger;

namespace OiCall.Tests.CallerNumbers;

/// <summary>Uploaded evidence: checked by content, stored under generated names, handed out only as attachments to those allowed.</summary>
public sealed class DocumentTests
{
    private static async Task<(TestApp App, Person Owner, BusinessDto Business, CallerNumberDto Number)> SetUpAsync()
    {
        var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("서류상사");
        return (app, owner, business, await owner.RegisterNumberAsync(business.Id, "02-555-1234"));
    }

    [Fact]
    public async Task Oversize_and_disguised_files_are_refused()
    {
        var (app, owner, business, number) = await SetUpAsync();
        await using var _ = app;

        var tooBig = new byte[10 * 1024 * 1024 + 1];
        CallerNumberCalls.Pdf.CopyTo(tooBig, 0);
        await (await owner.UploadAsync(business.Id, number.Id, tooBig)).ShouldBeProblem(HttpStatusCode.RequestEntityTooLarge, "document_too_large");
        await (await owner.UploadAsync(business.Id, number.Id, "<html><script>alert(1)</script></html>"u8.ToArray(), "증명원.pdf"))
            .ShouldBeProblem(HttpStatusCode.UnsupportedMediaType, "document_type_not_allowed");
        await (await owner.UploadAsync(business.Id, number.Id, [0x4D, 0x5A, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00], "setup.pdf"))
            .ShouldBeProblem(HttpStatusCode.UnsupportedMediaType, "document_type_not_allowed");
        await (await owner.UploadAsync(business.Id, number.Id, [])).ShouldBeProblem(HttpStatusCode.BadRequest, "document_missing");

        // JPEG and PNG pass by their first bytes, whatever they are called.
        await (await owner.UploadAsync(business.Id, number.Id, [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F'], "scan.bin", "BusinessRegistration")).ShouldBe(HttpStatusCode.Created);
        await (await owner.UploadAsync(business.Id, number.Id, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D], "photo.pdf", "EmploymentCertificate")).ShouldBe(HttpStatusCode.Created);
        var documents = (await owner.GetNumberAsync(business.Id, number.Id)).Documents;
        Assert.Equal(["image/jpeg", "image/png"], documents.Select(d => d.ContentType));
        Assert.Equal(["사업자등록증", "재직증명서"], documents.Select(d => d.KindLabel));
    }

    [Fact]
    public async Task A_body_far_over_the_limit_answers_the_413_problem_not_a_500_and_the_web_form_returns_to_its_page_with_the_message()
    {
        var (app, owner, business, number) = await SetUpAsync();
        await using var _ = app;
        var twelveMegabytes = new byte[12 * 1024 * 1024];
        CallerNumberCalls.Pdf.CopyTo(twelveMegabytes, 0);

        await (await owner.UploadAsync(business.Id, number.Id, twelveMegabytes)).ShouldBeProblem(HttpStatusCode.RequestEntityTooLarge, "document_too_large");

        // The web form (cookie session, antiforgery) is sent back to the number's page with the reason.
        var browser = app.Client();
        await WebLogin.LogInAsync(app, browser, owner.LoginId, owner.Phone);
        var page = await browser.GetStringAsync($"/caller-numbers/{number.Id}");
        using var form = new MultipartFormDataContent
        {
            { new StringContent(WebLogin.HiddenValue(page, "__RequestVerificationToken")), "__RequestVerificationToken" },
            { new ByteArrayContent(twelveMegabytes), "file", "scan.pdf" },
        };
        var response = await browser.PostAsync($"/caller-numbers/{number.Id}/documents", form);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"/caller-numbers/{number.Id}?err=document_too_large", response.Headers.Location!.OriginalString);
        Assert.Contains("10MB 이하", await browser.GetStringAsync(response.Headers.Location.OriginalString));
        Assert.Empty(app.ServerErrors.Errors);
    }

    [Fact]
    public async Task A_mistaken_document_is_removed_before_review_but_not_once_in_review()
    {
        var (app, owner, business, number) = await SetUpAsync();
        await using var _ = app;
        var wrong = await owner.UploadAsync(business.Id, number.Id, CallerNumberCalls.Pdf, "엉뚱한서류.pdf");
        await wrong.ShouldBe(HttpStatusCode.Created);
        var wrongId = (await wrong.Content.ReadFromJsonAsync<DocumentDto>(BusinessApi.Json))!.Id;

        await (await owner.Api.DeleteAsync($"{CallerNumberCalls.Base(business.Id)}/{number.Id}/documents/{wrongId}")).ShouldBe(HttpStatusCode.NoContent);
        Assert.Empty((await owner.GetNumberAsync(business.Id, number.Id)).Documents);
        Assert.Empty(Directory.EnumerateFiles(app.DataDirectory, "*.pdf", SearchOption.AllDirectories));
        await (await owner.SubmitAsync(business.Id, number.Id)).ShouldBeProblem(HttpStatusCode.Conflict, "usage_certificate_missing");

        await (await owner.UploadAsync(business.Id, number.Id, CallerNumberCalls.Pdf)).ShouldBe(HttpStatusCode.Created);
        await (await owner.SubmitAsync(business.Id, number.Id)).ShouldBe(HttpStatusCode.OK);
        var inReview = (await owner.GetNumberAsync(business.Id, number.Id)).Documents.Single();
        await (await owner.Api.DeleteAsync($"{CallerNumberCalls.Base(business.Id)}/{number.Id}/documents/{inReview.Id}")).ShouldBeProblem(HttpStatusCode.Conflict, "caller_number_state");

        // Another business's admin cannot reach it.
        var stranger = await app.PersonAsync("남");
        var theirs = await stranger.CreateBusinessAsync("남의 가게");
        await (await stranger.Api.DeleteAsync($"{CallerNumberCalls.Base(theirs.Id)}/{number.Id}/documents/{inReview.Id}")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_path_in_the_file_name_is_only_a_label()
    {
        var (app, owner, business, number) = await SetUpAsync();
        await using var _ = app;

        var uploaded = await owner.UploadAsync(business.Id, number.Id, CallerNumberCalls.Pdf, "../../../../tmp/evil.pdf");
        await uploaded.ShouldBe(HttpStatusCode.Created);
        Assert.Equal("evil.pdf", (await uploaded.Content.ReadFromJsonAsync<DocumentDto>(BusinessApi.Json))!.OriginalName);
        await using var db = app.Db();
        var stored = await db.CallerNumberDocuments.SingleAsync();
        Assert.Matches("^[0-9a-f]{32}\\.pdf$", stored.StoredName);
        Assert.Equal(CallerNumberCalls.Pdf, await File.ReadAllBytesAsync(Path.Combine(app.DataDirectory, "documents", stored.StoredName)));
        Assert.Single(Directory.GetFiles(Path.Combine(app.DataDirectory, "documents")));
    }

    [Fact]
    public async Task Documents_go_only_to_the_business_admins_and_operators_and_never_inline()
    {
        var (app, owner, business, number) = await SetUpAsync();
        await using var _ = app;
        var document = (await (await owner.UploadAsync(business.Id, number.Id, CallerNumberCalls.Pdf, "가입사실확인서.pdf")).Content.ReadFromJsonAsync<DocumentDto>(BusinessApi.Json))!;
        var url = $"{CallerNumberCalls.Base(business.Id)}/{number.Id}/documents/{document.Id}";

        var download = await owner.Api.GetAsync(url);
        await download.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("가입사실확인서.pdf", download.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(CallerNumberCalls.Pdf, await download.Content.ReadAsByteArrayAsync());

        var operatorApi = await app.OperatorAsync();
        var forOperator = await operatorApi.GetAsync($"/api/v1/operator/caller-numbers/{number.Id}/documents/{document.Id}");
        await forOperator.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("attachment", forOperator.Content.Headers.ContentDisposition?.DispositionType);

        var employee = await app.PersonAsync("직원");
        await owner.AddMemberAsync(business.Id, "직원", employee.Phone);
        await (await employee.Api.GetAsync(url)).ShouldBe(HttpStatusCode.Forbidden);
        var outsider = await app.PersonAsync("남");
        await (await outsider.Api.GetAsync(url)).ShouldBe(HttpStatusCode.NotFound);
        var otherBusiness = await outsider.CreateBusinessAsync("남의가게", "02-444-5555");
        await (await outsider.Api.GetAsync($"{CallerNumberCalls.Base(otherBusiness.Id)}/{number.Id}/documents/{document.Id}")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Documents_are_deleted_after_the_retention_period_and_their_hashes_stay()
    {
        var (app, owner, business, number) = await SetUpAsync();
        await using var _ = app;
        var document = (await (await owner.UploadAsync(business.Id, number.Id, CallerNumberCalls.Pdf)).Content.ReadFromJsonAsync<DocumentDto>(BusinessApi.Json))!;
        await owner.SubmitAsync(business.Id, number.Id);
        await (await (await app.OperatorAsync()).DecideAsync(number.Id, true)).ShouldBe(HttpStatusCode.OK);
        var url = $"{CallerNumberCalls.Base(business.Id)}/{number.Id}/documents/{document.Id}";

        app.Clock.Advance(TimeSpan.FromDays(89));
        await RunHousekeepingAsync(app);
        owner = owner with { Api = app.Client().WithToken((await app.LogInAsync(owner.LoginId, owner.Phone)).AccessToken) };
        await (await owner.Api.GetAsync(url)).ShouldBe(HttpStatusCode.OK);

        app.Clock.Advance(TimeSpan.FromDays(2));
        await RunHousekeepingAsync(app);
        await (await owner.Api.GetAsync(url)).ShouldBeProblem(HttpStatusCode.Gone, "document_purged");
        Assert.Empty(Directory.GetFiles(Path.Combine(app.DataDirectory, "documents")));
        var kept = (await owner.GetNumberAsync(business.Id, number.Id)).Documents.Single();
        Assert.Equal((document.Sha256, true), (kept.Sha256, kept.Purged));
        Assert.Equal("Approved", (await owner.GetNumberAsync(business.Id, number.Id)).State);
    }

    private static Task RunHousekeepingAsync(TestApp app) =>
        LedgerHousekeeping.RunOnceAsync(app.Services.GetRequiredService<IServiceScopeFactory>(), CancellationToken.None);
}
