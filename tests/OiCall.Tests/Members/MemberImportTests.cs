using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Members;

public sealed class MemberImportTests
{
    // As phones export it: a folded line, a quoted-printable Korean name, several TEL lines, a contact without a mobile.
    public const string VCard = """
        BEGIN:VCARD
        VERSION:2.1
        N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=ED=99=8D;=EA=B8=B8=EB=8F=99;;;
        FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=ED=99=8D=EA=B8=B8=EB=8F=99
        TEL;HOME:02-123-4567
        TEL;CELL:010-1111-2222
        END:VCARD
        BEGIN:VCARD
        VERSION:3.0
        FN:김영
         희
        TEL;TYPE=CELL:+82 10-3333-4444
        END:VCARD
        BEGIN:VCARD
        VERSION:3.0
        FN:사무실
        TEL;TYPE=WORK:02-2038-0995
        END:VCARD
        BEGIN:VCARD
        VERSION:3.0
        FN:홍길동 두번째
        TEL;TYPE=CELL:01011112222
        END:VCARD
        BEGIN:VCARD
        VERSION:3.0
        FN:번호없음
        END:VCARD
        BEGIN:VCARD
        VERSION:3.0
        FN:이미멤버
        TEL;TYPE=CELL:010-5555-6666
        END:VCARD
        """;

    private static async Task<ImportDto> UploadAsync(Person admin, Guid businessId, byte[] content, string fileName, bool preview)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue(fileName.EndsWith(".vcf") ? "text/vcard" : "text/csv");
        form.Add(file, "file", fileName);
        var response = await admin.Api.PostAsync($"/api/v1/businesses/{businessId}/members/import?preview={preview.ToString().ToLowerInvariant()}", form);
        await response.ShouldBe(HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<ImportDto>(BusinessApi.Json))!;
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_vcard_is_previewed_row_by_row_then_imported_in_one_go(DatabaseProvider provider)
    {
        await using var app = await TestApp.StartAsync(provider);
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        await owner.AddMemberAsync(business.Id, "이미멤버", "010-5555-6666");
        var bytes = Encoding.UTF8.GetBytes(VCard.Replace("\n", "\r\n"));

        var preview = await UploadAsync(owner, business.Id, bytes, "contacts.vcf", preview: true);

        Assert.Equal(
            [("홍길동", "Add"), ("김영희", "Add"), ("사무실", "NotMobile"), ("홍길동 두번째", "DuplicateInFile"), ("번호없음", "Malformed"), ("이미멤버", "AlreadyMember")],
            preview.Rows.Select(r => (r.Name, r.Outcome)));
        Assert.Equal("010-1111-2222", preview.Rows[0].PhoneDisplay);
        Assert.Contains("이미 등록된 멤버", preview.Rows[5].Reason);
        Assert.Equal(2, (await owner.MembersAsync(business.Id)).Count);

        var done = await UploadAsync(owner, business.Id, bytes, "contacts.vcf", preview: false);

        Assert.Equal((2, 4), (done.Added, done.Skipped));
        var names = (await owner.MembersAsync(business.Id)).Select(m => m.Name).Order().ToList();
        Assert.Equal(["김영희", "사장", "이미멤버", "홍길동"], names);

        // Importing the same file again adds nobody.
        var again = await UploadAsync(owner, business.Id, bytes, "contacts.vcf", preview: false);
        Assert.Equal(0, again.Added);
        Assert.Equal(4, (await owner.MembersAsync(business.Id)).Count);
    }

    [Fact]
    public async Task Pasted_lines_of_a_name_a_space_and_a_number_are_read()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");

        var result = await UploadAsync(owner, business.Id, Encoding.UTF8.GetBytes("홍길동 01012345678\n김 철수 010 2345 6789\n이름만\n"), "붙여넣기.txt", preview: true);

        Assert.Equal(
            [("홍길동", "010-1234-5678", "Add"), ("김 철수", "010-2345-6789", "Add"), ("이름만", null, "Malformed")],
            result.Rows.Select(r => (r.Name, r.PhoneDisplay, r.Outcome)));
    }

    [Fact]
    public async Task A_skipped_row_says_which_field_could_not_be_read()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var longName = new string('가', 51);

        var result = await UploadAsync(owner, business.Id, Encoding.UTF8.GetBytes(
            $"이름,번호\n,010-1234-5678\n{longName},010-2345-6789\n홍길동,\n김영희,010-12\n이철수 02-12\n"), "붙여넣기.csv", preview: true);

        Assert.Equal(
            ["건너뜀: 이름이 없음", "건너뜀: 이름이 50자를 넘음", "건너뜀: 번호가 없음", "건너뜀: 번호를 읽을 수 없음 (010-12)", "건너뜀: 번호를 읽을 수 없음 (02-12)"],
            result.Rows.Select(r => r.Reason));
        Assert.All(result.Rows, r => Assert.Equal("Malformed", r.Outcome));
    }

    [Fact]
    public async Task Where_the_contact_picker_is_missing_the_page_explains_the_file_import_instead()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        await owner.CreateBusinessAsync("가게");
        var browser = app.Client();
        await WebLogin.LogInAsync(app, browser, owner.LoginId, owner.Phone);

        var page = await browser.GetStringAsync("/members/new");
        var css = await browser.GetStringAsync("/app.css");
        var script = await browser.GetStringAsync("/members.js");

        // The picker's button starts hidden (and hidden wins over .button's display); the explanation shows until the script finds the picker.
        Assert.Matches("<button type=\"button\" class=\"button primary\" id=\"pick-contacts\" hidden", page);
        Assert.Matches("<p class=\"muted small\" id=\"no-contact-picker\">[^<]*vCard\\(\\.vcf\\) 파일로 내보내", page);
        Assert.Contains("[hidden] { display: none !important; }", css);
        Assert.Contains("getElementById('no-contact-picker')", script);
    }

    [Fact]
    public async Task A_korean_excel_csv_in_cp949_with_a_header_is_read()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        const string csv = "부서,이름,휴대폰\r\n영업,\"최, 민수\",010-7777-1111\r\n영업,정다운,010-7777-1111\r\n관리,빈번호,\r\n관리,유선,031-123-4567\r\n관리,한결,010 7777 2222\r\n";
        var bytes = Encoding.GetEncoding(949).GetBytes(csv);

        var result = await UploadAsync(owner, business.Id, bytes, "직원.csv", preview: false);

        Assert.Equal(
            [("최, 민수", "Add"), ("정다운", "DuplicateInFile"), ("빈번호", "Malformed"), ("유선", "NotMobile"), ("한결", "Add")],
            result.Rows.Select(r => (r.Name, r.Outcome)));
        Assert.Equal(2, result.Added);
    }

    [Fact]
    public async Task Contacts_picked_on_the_phone_are_previewed_and_imported_as_json()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var contacts = new[] { new { name = "앱연락처", phone = "010-6464-1212" }, new { name = "", phone = "010-6464-3434" } };

        var preview = await owner.Api.PostAsJsonAsync($"/api/v1/businesses/{business.Id}/members/import/contacts", new { contacts, preview = true });
        Assert.Equal(["Add", "Malformed"], (await preview.Content.ReadFromJsonAsync<ImportDto>(BusinessApi.Json))!.Rows.Select(r => r.Outcome));
        Assert.Single(await owner.MembersAsync(business.Id));

        var done = await owner.Api.PostAsJsonAsync($"/api/v1/businesses/{business.Id}/members/import/contacts", new { contacts, preview = false });
        Assert.Equal(1, (await done.Content.ReadFromJsonAsync<ImportDto>(BusinessApi.Json))!.Added);
    }

    [Fact]
    public async Task Empty_oversized_and_binary_files_get_clear_answers()
    {
        await using var app = await TestApp.StartAsync();
        var owner = await app.PersonAsync("사장");
        var business = await owner.CreateBusinessAsync("가게");
        var url = $"/api/v1/businesses/{business.Id}/members/import";

        static MultipartFormDataContent Form(byte[] bytes)
        {
            var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(bytes), "file", "x.csv");
            return form;
        }

        await (await owner.Api.PostAsync(url, Form([]))).ShouldBeProblem(HttpStatusCode.BadRequest, "import_empty");
        await (await owner.Api.PostAsync(url, Form(new byte[1024 * 1024 + 1]))).ShouldBeProblem(HttpStatusCode.RequestEntityTooLarge, "import_too_large");
        var tooMany = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 1001).Select(i => $"사람{i},010-{i:D4}-0000\n")));
        await (await owner.Api.PostAsync(url, Form(tooMany))).ShouldBeProblem(HttpStatusCode.RequestEntityTooLarge, "import_too_large");
        var binary = await owner.Api.PostAsync(url + "?preview=true", Form([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0xff, 0xfe]));
        await binary.ShouldBe(HttpStatusCode.OK);
        Assert.All((await binary.Content.ReadFromJsonAsync<ImportDto>(BusinessApi.Json))!.Rows, r => Assert.Equal("Malformed", r.Outcome));
        Assert.Single(await owner.MembersAsync(business.Id));
    }
}
