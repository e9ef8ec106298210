using System.Diagnostics;
using System.Text.Json;
using Grpc.Health.V1;
using Grpc.Net.Client;
using k8s;
using k8s.Models;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

/// <summary>
/// Renders every kustomize overlay under deploy/k8s with <c>kubectl kustomize</c> (offline), parses
/// the output strictly with the Kubernetes client's models (unknown fields fail), and checks it
/// against the app: probes hit routes the running server answers, ports match appsettings.json,
/// names, labels and images agree, the HPA targets the Deployment, shutdown fits the grace period.
/// </summary>
public sealed class DeploymentManifestTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    public static TheoryData<string> Overlays => ["cpu", "gpu", "dev"];

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_RendersStrictly_AndMatchesTheApp(string overlay)
    {
        List<object> objects = Render(overlay);
        V1Deployment deployment = Assert.Single(objects.OfType<V1Deployment>());
        V1Service service = Assert.Single(objects.OfType<V1Service>());
        V1ConfigMap config = Assert.Single(objects.OfType<V1ConfigMap>());
        V2HorizontalPodAutoscaler hpa = Assert.Single(objects.OfType<V2HorizontalPodAutoscaler>());
        V1PodDisruptionBudget pdb = Assert.Single(objects.OfType<V1PodDisruptionBudget>());
        ServiceMonitor monitor = Assert.Single(objects.OfType<ServiceMonitor>());

        // Ports: the container's named ports are the app's Kestrel endpoints.
        V1Container container = Assert.Single(deployment.Spec.Template.Spec.Containers);
        Dictionary<string, int> appPorts = AppPorts();
        Assert.Equal(appPorts["Rest"], container.Ports.Single(p => p.Name == "rest").ContainerPort);
        Assert.Equal(appPorts["Grpc"], container.Ports.Single(p => p.Name == "grpc").ContainerPort);
        Assert.Equal(appPorts["Metrics"], container.Ports.Single(p => p.Name == "metrics").ContainerPort);
        Assert.Equal(["rest", "grpc", "metrics"], service.Spec.Ports.Select(p => p.TargetPort.Value));

        // Probes: HTTP on routes the server answers 200 to, a native gRPC probe on the gRPC port.
        foreach (V1Probe probe in new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe })
        {
            Assert.NotNull(probe);
            if (probe.HttpGet is { } http)
            {
                Assert.StartsWith("/v2/health/", http.Path);
                Assert.Equal("rest", http.Port.Value);
                HttpResponseMessage answer = await server.Client.GetAsync(http.Path);
                Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
            }
            else
            {
                Assert.Equal(appPorts["Grpc"], Assert.IsType<V1GRPCAction>(probe.Grpc).Port);
                var health = new Health.HealthClient(GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}"));
                HealthCheckResponse status = await health.CheckAsync(new HealthCheckRequest { Service = probe.Grpc.Service ?? "" });
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, status.Status);
            }
        }

        // Selectors and labels line up; the HPA, PDB and ServiceMonitor point at what exists.
        IDictionary<string, string> podLabels = deployment.Spec.Template.Metadata.Labels;
        Assert.All(deployment.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, podLabels[l.Key]));
        Assert.All(service.Spec.Selector, l => Assert.Equal(l.Value, podLabels[l.Key]));
        Assert.All(pdb.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, podLabels[l.Key]));
        Assert.All(monitor.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, service.Metadata.Labels[l.Key]));
        Assert.Contains(monitor.Spec.Endpoints, e => e.Port == "metrics" && e.Path == "/metrics");
        Assert.Equal(("Deployment", "apps/v1", deployment.Metadata.Name), (hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.ApiVersion, hpa.Spec.ScaleTargetRef.Name));
        Assert.Contains(hpa.Spec.Metrics, m => m.Type == "Resource" && m.Resource.Name == "cpu");
        Assert.Contains(hpa.Spec.Metrics, m => m.Type == "Pods" && m.Pods.Metric.Name == "snnserve_requests_in_flight");
        Assert.Equal(config.Metadata.Name, Assert.Single(container.EnvFrom).ConfigMapRef.Name);

        // Security: non-root, read-only root filesystem with a writable /tmp, no privilege escalation.
        Assert.True(deployment.Spec.Template.Spec.SecurityContext.RunAsNonRoot);
        Assert.NotEqual(0, deployment.Spec.Template.Spec.SecurityContext.RunAsUser);
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
        Assert.Contains(container.VolumeMounts, m => m.MountPath == "/tmp");
        Assert.NotNull(container.Resources.Requests["cpu"]);
        Assert.NotNull(container.Resources.Limits["memory"]);

        // Graceful shutdown fits: preStop sleep + the app's shutdown timeout < the grace period.
        long preStop = container.Lifecycle.PreStop.Sleep.Seconds;
        double shutdown = double.Parse(config.Data["SnnServe__ShutdownTimeoutSeconds"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(preStop + shutdown < deployment.Spec.Template.Spec.TerminationGracePeriodSeconds,
            $"preStop {preStop} s + shutdown {shutdown} s must be below the grace period {deployment.Spec.Template.Spec.TerminationGracePeriodSeconds} s");

        // Every configuration key the ConfigMap sets exists in the app's options.
        Assert.All(config.Data.Keys.Where(k => k.StartsWith("SnnServe__", StringComparison.Ordinal)), KnownSetting);

        // Images: no registry host in the manifests; the GPU overlay asks for a GPU and runs the GPU image.
        Assert.DoesNotContain('/', container.Image.Split(':')[0]);
        if (overlay == "gpu")
        {
            Assert.StartsWith("snnserve-gpu:", container.Image);
            Assert.Equal("1", container.Resources.Limits["nvidia.com/gpu"].ToString());
            Assert.Contains(deployment.Spec.Template.Spec.Tolerations, t => t.Key == "nvidia.com/gpu");
            Assert.Equal("true", config.Data["SnnServe__Models__PreferCuda"]);
            V1PersistentVolumeClaim claim = Assert.Single(objects.OfType<V1PersistentVolumeClaim>());
            V1Volume models = Assert.Single(deployment.Spec.Template.Spec.Volumes, v => v.PersistentVolumeClaim is not null);
            Assert.Equal(claim.Metadata.Name, models.PersistentVolumeClaim.ClaimName);
            Assert.Contains(container.VolumeMounts, m => m.Name == models.Name && m.MountPath == "/models" && m.ReadOnlyProperty == true);
        }
        else
        {
            Assert.StartsWith("snnserve:", container.Image);
            Assert.False(container.Resources.Limits.ContainsKey("nvidia.com/gpu"));
        }
    }

    [Fact]
    public void PrometheusAdapterRule_ExposesTheMetricTheHpaUses()
    {
        string rules = File.ReadAllText(Path.Combine(BundledData.Root, "deploy", "k8s", "prometheus-adapter", "rules.yaml"));
        Assert.Contains("snnserve_requests_active", rules);
        Assert.Contains("as: \"snnserve_requests_in_flight\"", rules);
    }

    [Fact]
    public async Task HpaCustomMetric_IsExportedByTheServer()
    {
        // The adapter rule's series is what the metrics endpoint really exports.
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.MetricsPort}") };
        await server.Client.PostAsync("/v1/models/synthetic/classify", JsonContent(ServerFixture.Model));
        string text = await metrics.GetStringAsync("/metrics");
        Assert.Contains("snnserve_requests_active", text);
    }

    private static StringContent JsonContent(SyntheticModelOptions model) =>
        new(JsonSerializer.Serialize(new { input = SyntheticModel.RandomInput(model, 1) }), System.Text.Encoding.UTF8, "application/json");

    private static void KnownSetting(string key)
    {
        string[] path = key.Split("__");
        Type? type = path[1] switch
        {
            "Models" => typeof(SnnServe.Runtime.Repository.ModelLoaderOptions),
            "Scheduler" => typeof(SnnServe.Runtime.Scheduling.SchedulerOptions),
            "Polling" => typeof(PollingOptions),
            "Admin" => typeof(AdminOptions),
            _ => null,
        };
        if (path.Length == 2)
        {
            Assert.Equal("ShutdownTimeoutSeconds", path[1]);
            return;
        }

        Assert.NotNull(type);
        Assert.NotNull(type!.GetProperty(path[2]));
    }

    internal static List<object> Render(string overlay)
    {
        var start = new ProcessStartInfo("kubectl", ["kustomize", Path.Combine(BundledData.Root, "deploy", "k8s", "overlays", overlay)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        string yaml = process.StandardOutput.ReadToEnd();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {overlay} failed: {errors}");
        var types = new Dictionary<string, Type> { ["monitoring.coreos.com/v1/ServiceMonitor"] = typeof(ServiceMonitor) };
        return KubernetesYaml.LoadAllFromString(yaml, types, strict: true);
    }

    private static Dictionary<string, int> AppPorts()
    {
        using JsonDocument settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(BundledData.Root, "src", "Api", "appsettings.json")));
        return settings.RootElement.GetProperty("Kestrel").GetProperty("Endpoints").EnumerateObject()
            .ToDictionary(e => e.Name, e => new Uri(e.Value.GetProperty("Url").GetString()!.Replace("0.0.0.0", "localhost")).Port);
    }
}

/// <summary>The Prometheus Operator's ServiceMonitor, as far as the manifests use it (strict parsing rejects the rest).</summary>
public sealed class ServiceMonitor : IKubernetesObject<V1ObjectMeta>
{
    public string ApiVersion { get; set; } = "monitoring.coreos.com/v1";
    public string Kind { get; set; } = "ServiceMonitor";
    public V1ObjectMeta Metadata { get; set; } = new();
    public ServiceMonitorSpec Spec { get; set; } = new();

    public sealed class ServiceMonitorSpec
    {
        public V1LabelSelector Selector { get; set; } = new();
        public List<Endpoint> Endpoints { get; set; } = [];
    }

    public sealed class Endpoint
    {
        public string Port { get; set; } = "";
        public string Path { get; set; } = "";
        public string Interval { get; set; } = "";
    }
}
