using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Localization;
using OiCall.Web.Components;
using OiCall.Web.Data;
using OiCall.Web.Features.Accounts;
using OiCall.Web.Features.Audit;
using OiCall.Web.Features.Businesses;
using OiCall.Web.Features.CallerNumbers;
using OiCall.Web.Features.Coupons;
using OiCall.Web.Features.Ledger;
using OiCall.Web.Features.Members;
using OiCall.Web.Features.Postpaid;
using OiCall.Web.Features.Telephony;
using OiCall.Web.Infrastructure;
using OiCall.Web.Infrastructure.Sms;
using Scalar.AspNetCore;

// `OiCall.Web sip-edge-env [--Sip:… …]` prints the environment file of a SIP edge running on its own
// (deploy/systemd/oicall-edge.service) from this service's configuration, and exits.
var printEdgeEnvironment = args is ["sip-edge-env", ..];
var builder = WebApplication.CreateBuilder(printEdgeEnvironment ? args[1..] : args);
var services = builder.Services;

// The app runs from its build output as well as from `dotnet run`; either way serve the static assets.
builder.WebHost.UseStaticWebAssets();

builder.AddWebSecurity();

var dataDirectory = new DataDirectory(builder.Configuration, builder.Environment);
services.AddSingleton(dataDirectory);
services.AddSingleton(TimeProvider.System);
services.AddSingleton(LogPrivacy.For(builder.Environment, builder.Configuration));
services.AddHttpContextAccessor();
services.AddOiCallDatabase();
services.AddOiCallSms(builder.Configuration, builder.Environment);
services.AddSingleton<ServerSecrets>();
builder.AddOiCallDataProtection(dataDirectory);

services.AddOptions<OtpOptions>().BindConfiguration("Otp");
services.AddScoped<AuditLog>();
services.AddScoped<OtpService>();
services.AddScoped<SessionService>();
services.AddScoped<BusinessAccess>();
services.AddScoped<BusinessRules>();
services.AddScoped<MemberRules>();
services.AddScoped<LedgerService>();
services.AddSingleton<LedgerAccountKeys>();
services.AddScoped<History>();
services.AddScoped<CouponRules>();
services.AddScoped<Statements>();
services.AddScoped<LedgerSettings>();
services.AddScoped<CallerNumberRules>();
services.AddOptions<OiCall.Web.Features.Telephony.SipOptions>().BindConfiguration("Sip");
services.AddScoped<OiCall.Web.Features.Telephony.SipAccounts>();
services.AddScoped<OiCall.Web.Features.Telephony.CallSetup>();
services.AddScoped<OiCall.Web.Features.Telephony.CallSlices>();
services.AddScoped<OiCall.Web.Features.Telephony.CallEnds>();
services.AddScoped<OiCall.Web.Features.Telephony.CallHistory>();
services.AddScoped<OiCall.Web.Features.Telephony.CallPolicy>();
services.AddScoped<OiCall.Web.Features.Inbound.RingGroups>();
services.AddScoped<OiCall.Web.Features.Inbound.InboundCalls>();
services.AddScoped<OiCall.Web.Features.Operator.EdgeStatus>();
services.AddSingleton<OiCall.Web.Features.Telephony.EvapiAuthorizer>();
services.AddSingleton<OiCall.Web.Features.Telephony.TelephonyMetrics>();
services.AddOptions<SupportOptions>().BindConfiguration("Support");
services.AddOptions<CallerNumberOptions>().BindConfiguration("CallerNumbers");
services.AddSingleton<OiCall.Web.Infrastructure.Files.IDocumentStore, OiCall.Web.Infrastructure.Files.DiskDocumentStore>();
services.AddOptions<HousekeepingOptions>().BindConfiguration("Housekeeping");
services.AddHostedService<LedgerHousekeeping>();
OiCall.Web.Features.Retention.RetentionRegistration.AddRetention(services, builder.Environment);
OiCall.Web.Infrastructure.SipEdge.SipEdgeRegistration.AddSipEdge(services, builder.Configuration);
services.AddOptions<AppOptions>().BindConfiguration("App");
services.AddOptions<MemberOptions>().BindConfiguration("Members");

services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
    .AddCookie(options =>
    {
        options.Cookie.Name = "oicall.auth";
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Lax;
        options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.LoginPath = "/login";
        options.AccessDeniedPath = "/forbidden";
        options.ExpireTimeSpan = SessionService.CookieLifetime;
        options.SlidingExpiration = true;
        // A logged-out (revoked) session ends its cookie too.
        options.Events.OnValidatePrincipal = async context =>
        {
            var sessions = context.HttpContext.RequestServices.GetRequiredService<SessionService>();
            if (Claims.SessionIdOf(context.Principal!) is not { } id || !await sessions.IsActiveAsync(id, context.Principal!.IsInRole(Claims.OperatorRole)))
            {
                context.RejectPrincipal();
                await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            }
        };
    })
    .AddScheme<AuthenticationSchemeOptions, BearerSessionHandler>(BearerSessionHandler.SchemeName, null);
services.AddAuthorizationBuilder()
    .AddPolicy(ApiAuth.Policy, policy => policy.AddAuthenticationSchemes(BearerSessionHandler.SchemeName).RequireAuthenticatedUser());
services.AddCascadingAuthenticationState();

services.AddLocalization();
services.AddRazorComponents();
// Korean text goes into pages as itself, not as &#xD55C; entities.
services.AddSingleton(System.Text.Encodings.Web.HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All));
services.AddAntiforgery();
services.AddOpenApi();
services.AddExceptionHandler<AppProblemHandler>();
services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemCodes.AddDefaultCode);
// Malformed request bodies answer 400 problem details in every environment, never an exception page.
services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = false);
services.Configure<JsonOptions>(options => options.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");

var app = builder.Build();

if (printEdgeEnvironment)
{
    var edgeHost = app.Services.GetRequiredService<OiCall.Web.Infrastructure.SipEdge.SipEdgeHost>();
    var sipOptions = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SipOptions>>().Value;
    if (sipOptions.ControlPlaneUrl is null) throw new InvalidOperationException("Set Sip:ControlPlaneUrl: how the edge reaches this service's /telephony/v1.");
    Console.Write(OiCall.Web.Infrastructure.SipEdge.SipEdgeHost.EnvironmentFile(edgeHost.Settings(sipOptions)));
    return;
}

await DatabaseSetup.MigrateAsync(app.Services);
await OperatorSeed.EnsureOperatorAsync(app.Services);
await WarmUpAsync(app.Services);

app.UseWebSecurity();
app.UseRequestLocalization(Languages.Configure);
// Machines (the API's clients and the SIP edge) get problem details; people get pages.
static bool ForMachines(HttpContext context) => context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/telephony");
app.UseWhen(ForMachines, api =>
{
    api.UseExceptionHandler();
    api.UseStatusCodePages();
});
app.UseWhen(context => !ForMachines(context), pages =>
{
    pages.UseExceptionHandler("/error", createScopeForErrors: true);
    pages.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
});
// Routing after the error handlers, so their re-executed requests (/error, /not-found) are routed again.
app.UseRouting();
app.UseAuthentication();
app.UseAuthorization();
app.Use(UploadLimit.RefuseOversizedAsync);
app.UseAntiforgery();
// After authorization, so it knows the API caller; before the endpoints, so a retry never reaches them.
app.UseMiddleware<IdempotencyMiddleware>();

app.MapStaticAssets();
app.MapOpenApi();
app.MapScalarApiReference("/api/docs");
app.MapHealthChecks("/health");
app.MapGet("/culture/{language}", Languages.Switch).ExcludeFromDescription();
app.MapAuthApi();
app.MapBusinessesApi();
app.MapMembersApi();
app.MapLedgerApi();
app.MapHistoryDownload();
app.MapCouponsApi();
app.MapPostpaidApi();
app.MapCallerNumbersApi();
app.MapCallerNumberDocumentUploadAndDownload();
app.MapTelephonyApi();
app.MapSipAccountsApi();
app.MapCallHistoryApi();
app.MapCallPolicyApi();
OiCall.Web.Features.Inbound.InboundApi.MapRingGroupApi(app);
OiCall.Web.Features.Operator.EdgeStatusApi.MapEdgeStatusApi(app);
app.MapStatementDownload();
app.MapRazorComponents<App>();

app.Run();

// The SIP edge gives the control plane one second per call setup: build the query pipeline of the
// call path before the first call, not during it.
static async Task WarmUpAsync(IServiceProvider services)
{
    await using var scope = services.CreateAsyncScope();
    await scope.ServiceProvider.GetRequiredService<CallSetup>().AuthorizeAsync("warm-up", "", "0212345678");
    await scope.ServiceProvider.GetRequiredService<CallSlices>().ExtendAsync("warm-up", 2);
}

public partial class Program;
