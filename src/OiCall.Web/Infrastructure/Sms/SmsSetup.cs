namespace OiCall.Web.Infrastructure.Sms;

public static class SmsSetup
{
    public static IServiceCollection AddOiCallSms(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddOptions<SmsOptions>().BindConfiguration("Sms");
        var provider = configuration["Sms:Provider"] ?? (environment.IsDevelopment() ? "Development" : "Http");
        if (provider.Equals("Http", StringComparison.OrdinalIgnoreCase))
        {
            if (string.IsNullOrWhiteSpace(configuration["Sms:Url"]))
                throw new InvalidOperationException("Sms:Url (and Sms:ApiKey) must be set outside Development, or set Sms:Provider=Development.");
            services.AddHttpClient<ISmsSender, HttpSmsSender>(client => client.Timeout = TimeSpan.FromSeconds(10));
        }
        else
        {
            services.AddSingleton<DevelopmentSmsSender>();
            services.AddSingleton<ISmsSender>(sp => sp.GetRequiredService<DevelopmentSmsSender>());
        }
        return services;
    }
}
