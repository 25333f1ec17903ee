using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;

namespace OiCall.Web.Infrastructure.Sms;

/// <summary>
/// A real SMS gateway reached over HTTP: POST {Sms:Url} with a JSON body
/// <c>{"to":"+8210…","from":"…","text":"…"}</c> and <c>Authorization: Bearer {Sms:ApiKey}</c>.
/// Any 2xx is delivery accepted.
/// </summary>
public sealed class HttpSmsSender(HttpClient http, IOptions<SmsOptions> options, ILogger<HttpSmsSender> logger, LogPrivacy privacy) : ISmsSender
{
    public async Task SendAsync(string toE164, string text, CancellationToken ct = default)
    {
        var settings = options.Value;
        using var request = new HttpRequestMessage(HttpMethod.Post, settings.Url)
        {
            Content = JsonContent.Create(new { to = toE164, from = settings.From, text }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.ApiKey);
        try
        {
            using var response = await http.SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("SMS gateway answered {Status} for a message to {To}", (int)response.StatusCode, privacy.Number(toE164));
                throw new SmsDeliveryException($"SMS gateway answered {(int)response.StatusCode}.");
            }
        }
        catch (HttpRequestException e)
        {
            throw new SmsDeliveryException("SMS gateway unreachable.", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new SmsDeliveryException("SMS gateway timed out.", e);
        }
    }
}
