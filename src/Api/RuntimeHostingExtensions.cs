using Microsoft.Extensions.Options;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Kernels;
using SnnServe.Runtime.Repository;
using SnnServe.Runtime.Scheduling;
using SnnServe.Runtime.Telemetry;

namespace SnnServe.Api;

/// <summary>Registers the runtime (repository, engine, metrics) and loads the models at start.</summary>
public static class RuntimeHostingExtensions
{
    /// <summary>Configuration section of the model loader options.</summary>
    public const string ModelsSection = "SnnServe:Models";

    /// <summary>Configuration section of the scheduler options.</summary>
    public const string SchedulerSection = "SnnServe:Scheduler";

    public static WebApplicationBuilder AddSnnRuntime(this WebApplicationBuilder builder)
    {
        // Kestrel binds its endpoints from configuration but not its limits: bind Kestrel:Limits
        // (e.g. MaxRequestBodySize, 16 MB in appsettings.json) explicitly.
        builder.WebHost.ConfigureKestrel(kestrel => builder.Configuration.GetSection("Kestrel:Limits").Bind(kestrel.Limits));
        // Graceful shutdown: stop admitting, let in-flight requests finish for at most this long. Defaults to 30 s.
        double shutdownSeconds = builder.Configuration.GetValue("SnnServe:ShutdownTimeoutSeconds", 30.0);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(shutdownSeconds));
        builder.Services.AddOptions<ModelLoaderOptions>().BindConfiguration(ModelsSection);
        builder.Services.AddOptions<AdminOptions>().BindConfiguration("SnnServe:Admin");
        builder.Services.AddOptions<PollingOptions>().BindConfiguration("SnnServe:Polling");
        builder.Services.AddSingleton<IPostConfigureOptions<ModelLoaderOptions>>(
            new RepositoryPathResolver(builder.Environment.ContentRootPath));
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<ModelLoaderOptions>>().Value);
        builder.Services.AddSingleton<ModelLoader>();
        builder.Services.AddSingleton<ModelRepository>();
        builder.Services.AddSingleton<SnnServeMetrics>();
        builder.Services.AddOptions<SchedulerOptions>().BindConfiguration(SchedulerSection).Validate(o =>
        {
            o.Validate();
            return true;
        });
        builder.Services.AddSingleton(sp => new ScheduledInferenceEngine(
            sp.GetRequiredService<ModelRepository>(), sp.GetRequiredService<SnnServeMetrics>(), sp.GetRequiredService<ModelLoaderOptions>(),
            sp.GetRequiredService<IOptions<SchedulerOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            ExecutionBackends.Create(sp.GetRequiredService<IOptions<SchedulerOptions>>().Value.Backend, sp.GetRequiredService<ModelLoaderOptions>().PreferCuda,
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("SnnServe.Backend")),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<TimestepScheduler>()));
        builder.Services.AddSingleton<IInferenceEngine>(sp => sp.GetRequiredService<ScheduledInferenceEngine>());
        builder.Services.AddSingleton(sp => sp.GetRequiredService<ScheduledInferenceEngine>().Direct);
        builder.Services.AddSingleton<ServerReadiness>();
        builder.Services.AddHostedService<ModelStartup>();
        builder.Services.AddHostedService<RepositoryPoller>();
        return builder;
    }
}
