using System.Net;
using Akka.Actor;
using Akka.Discovery;
using k8s;
using k8s.Models;

namespace Actors.Mqtt.Broker.Clustering;

/// <summary>
/// Akka.Discovery's <c>kubernetes-api</c> method: the running pods of the broker's namespace that carry its label,
/// listed through the Kubernetes API with the pod's service account, each as its pod IP (docs/cluster.md, Kubernetes).
/// </summary>
/// <remarks>
/// Akka.Discovery.KubernetesApi 1.5.73 is built against KubernetesClient 17, which NuGet does not serve here; with
/// 19 or 21 its lookup fails at run time (MissingMethodException), so the broker lists the pods itself, on the
/// KubernetesClient it ships. No port comes back: cluster bootstrap then probes the management port, the same on
/// every pod. Pods that are not ready count too, since a node is ready only once it has joined.
/// </remarks>
public sealed class KubernetesPodDiscovery : ServiceDiscovery
{
    /// <summary>The class name Akka.Discovery loads this method by.</summary>
    public static readonly string ClassName = $"{typeof(KubernetesPodDiscovery).FullName}, {typeof(KubernetesPodDiscovery).Assembly.GetName().Name}";

    private readonly string podNamespace;
    private readonly string labelSelector;
    private readonly Lazy<(Kubernetes Client, string Namespace)> api;

    public KubernetesPodDiscovery(ExtendedActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        var config = system.Settings.Config.GetConfig("akka.discovery.kubernetes-api");
        podNamespace = config.GetString("pod-namespace") ?? string.Empty;
        labelSelector = config.GetString("pod-label-selector") ?? string.Empty;

        // Only on the first lookup: the service account's files exist only inside a pod.
        api = new Lazy<(Kubernetes, string)>(() =>
        {
            var inCluster = KubernetesClientConfiguration.InClusterConfig();
            return (new Kubernetes(inCluster), podNamespace.Length > 0 ? podNamespace : inCluster.Namespace);
        });
    }

    public override async Task<Resolved> Lookup(Lookup lookup, TimeSpan resolveTimeout)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        var (kubernetes, ns) = api.Value;
        using var timeout = new CancellationTokenSource(resolveTimeout);
        var pods = await kubernetes.CoreV1.ListNamespacedPodAsync(ns, labelSelector: labelSelector, cancellationToken: timeout.Token).ConfigureAwait(false);
        return new Resolved(lookup.ServiceName, Targets(pods));
    }

    /// <summary>The pods that run, are not being deleted and have an IP.</summary>
    internal static List<ResolvedTarget> Targets(V1PodList pods)
    {
        ArgumentNullException.ThrowIfNull(pods);
        return [.. pods.Items
            .Where(p => p.Metadata?.DeletionTimestamp is null
                && string.Equals(p.Status?.Phase, "Running", StringComparison.OrdinalIgnoreCase)
                && IPAddress.TryParse(p.Status?.PodIP, out _))
            .Select(p => new ResolvedTarget(p.Status.PodIP, null, IPAddress.Parse(p.Status.PodIP)))];
    }
}
