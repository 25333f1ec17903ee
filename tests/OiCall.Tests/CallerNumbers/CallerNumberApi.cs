using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using OiCall.Tests.Support;

namespace OiCall.Tests.CallerNumbers;

public sealed record DocumentDto(Guid Id, string Kind, string KindLabel, string OriginalName, string ContentType, long Size, string Sha256, DateTime UploadedAt, bool Purged);
public sealed record CallerNumberDto(Guid Id, Guid BusinessId, string Number, string NumberDisplay, string Name, string State, string StateLabel,
    string NextStep, string? RejectReason, bool IsDefault, List<DocumentDto> Documents, Guid? ChallengeId);
public sealed record PresentedDto(Guid? CallerNumberId, string? Number, string? NumberDisplay);

public static class CallerNumberCalls
{
    public static readonly byte[] Pdf = "%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"u8.ToArray();

    public static string Base(Guid businessId) => $"/api/v1/businesses/{businessId}/caller-numbers";

    public static async Task<CallerNumberDto> RegisterNumberAsync(this Person admin, Guid businessId, string number, string name = "영업팀")
    {
        var response = await admin.Api.PostAsJsonAsync(Base(businessId), new { number, name });
        await response.ShouldBe(HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<CallerNumberDto>(BusinessApi.Json))!;
    }

    public static Task<HttpResponseMessage> UploadAsync(this Person admin, Guid businessId, Guid numberId, byte[] content, string fileName = "이용증명원.pdf", string kind = "UsageCertificate")
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        form.Add(file, "file", fileName);
        form.Add(new StringContent(kind), "kind");
        return admin.Api.PostAsync($"{Base(businessId)}/{numberId}/documents", form);
    }

    public static Task<HttpResponseMessage> SubmitAsync(this Person admin, Guid businessId, Guid numberId) =>
        admin.Api.PostAsync($"{Base(businessId)}/{numberId}/submission", null);

    public static Task<HttpResponseMessage> DecideAsync(this HttpClient operatorApi, Guid numberId, bool approve, string? reason = null) =>
        operatorApi.PostAsJsonAsync($"/api/v1/operator/caller-numbers/{numberId}/decision", new { approve, reason });

    public static async Task<CallerNumberDto> GetNumberAsync(this Person admin, Guid businessId, Guid numberId) =>
        (await admin.Api.GetFromJsonAsync<CallerNumberDto>($"{Base(businessId)}/{numberId}", BusinessApi.Json))!;

    /// <summary>A landline number taken all the way to 승인.</summary>
    public static async Task<CallerNumberDto> ApprovedNumberAsync(this TestApp app, Person admin, Guid businessId, string number, string name = "본사")
    {
        var registered = await admin.RegisterNumberAsync(businessId, number, name);
        await (await admin.UploadAsync(businessId, registered.Id, Pdf)).ShouldBe(HttpStatusCode.Created);
        await (await admin.SubmitAsync(businessId, registered.Id)).ShouldBe(HttpStatusCode.OK);
        await (await (await app.OperatorAsync()).DecideAsync(registered.Id, true)).ShouldBe(HttpStatusCode.OK);
        return await admin.GetNumberAsync(businessId, registered.Id);
    }
}
