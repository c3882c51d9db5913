using System.Globalization;
using Akka.Configuration;

namespace Actors.Mqtt.Broker.Clustering;

/// <summary>
/// The <c>actors-mqtt.cluster.discovery</c> section: with a method set, a node forms or joins its cluster through
/// Akka.Management's cluster bootstrap, which finds the other nodes' management endpoints by Akka.Discovery, instead
/// of through seed nodes (docs/architecture.md, Cluster).
/// </summary>
public sealed record ClusterDiscoverySettings
{
    /// <summary>Pods listed by the Kubernetes API (<see cref="KubernetesPodDiscovery"/>).</summary>
    public const string KubernetesApi = "kubernetes-api";

    /// <summary>Akka.Discovery's fixed list, from <see cref="Endpoints"/>.</summary>
    public const string ConfigMethod = "config";

    /// <summary>The Akka.Discovery method; null: no bootstrap, the node joins through seed nodes or itself.</summary>
    public string? Method { get; init; }

    /// <summary>The name the nodes of one cluster are looked up by.</summary>
    public string ServiceName { get; init; } = "actors-mqtt";

    /// <summary>How many contact points must be found before the lowest of them may form a new cluster.</summary>
    public int RequiredContactPoints { get; init; } = 2;

    /// <summary>Where Akka.Management's HTTP endpoint listens; the other nodes probe it here.</summary>
    /// <remarks>Empty: the cluster transport's hostname.</remarks>
    public string ManagementHostname { get; init; } = string.Empty;

    public int ManagementPort { get; init; } = 8558;

    /// <summary>The namespace whose pods are listed; empty: the pod's own, from its service account.</summary>
    public string PodNamespace { get; init; } = string.Empty;

    public string PodLabelSelector { get; init; } = "app=actors-mqtt";

    /// <summary>The management endpoints of the nodes, for the config method.</summary>
    public IReadOnlyList<NodeAddress> Endpoints { get; init; } = [];

    /// <summary>Reads <c>discovery</c> of the <c>actors-mqtt.cluster</c> section <paramref name="cluster"/>.</summary>
    public static ClusterDiscoverySettings From(Config cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var c = cluster.GetConfig("discovery");
        var method = c.GetString("method") ?? string.Empty;
        if (method is not ("" or KubernetesApi or ConfigMethod))
        {
            throw BrokerSettings.Invalid("cluster.discovery.method", $"'{method}' is not a discovery method: expected \"\" (seed-nodes), {KubernetesApi} or {ConfigMethod}");
        }

        var serviceName = c.GetString("service-name") ?? string.Empty;
        if (string.IsNullOrWhiteSpace(serviceName) || serviceName.Any(ch => !(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.')))
        {
            throw BrokerSettings.Invalid("cluster.discovery.service-name", $"'{serviceName}' is not a name: letters, digits, '-', '_' and '.' only");
        }

        var required = c.GetInt("required-contact-points");
        if (required < 1)
        {
            throw BrokerSettings.Invalid("cluster.discovery.required-contact-points", $"{required} is out of range: expected 1 or more");
        }

        var managementHostname = c.GetString("management.hostname") ?? string.Empty;
        if (managementHostname.Contains(' ', StringComparison.Ordinal))
        {
            throw BrokerSettings.Invalid("cluster.discovery.management.hostname", $"'{managementHostname}' is not a host name or IP address");
        }

        var managementPort = c.GetInt("management.port");
        if (managementPort is < 1 or > 65535)
        {
            throw BrokerSettings.Invalid("cluster.discovery.management.port", $"{managementPort} is out of range: expected 1 to 65535 (the other nodes must know where to reach this one)");
        }

        var endpoints = ClusterNodeSettings.ReadAddresses(c, "config.endpoints", "cluster.discovery.config.endpoints");
        if (method == ConfigMethod && endpoints.Count == 0)
        {
            throw BrokerSettings.Invalid("cluster.discovery.config.endpoints", "is empty, but discovery.method = config: list every node's management endpoint as \"host:port\"");
        }

        if (method != ConfigMethod && endpoints.Count > 0)
        {
            throw BrokerSettings.Invalid("cluster.discovery.config.endpoints", $"are set, but discovery.method is '{method}': they are read only with method = config");
        }

        return new ClusterDiscoverySettings
        {
            Method = method.Length == 0 ? null : method,
            ServiceName = serviceName,
            RequiredContactPoints = required,
            ManagementHostname = managementHostname,
            ManagementPort = managementPort,
            PodNamespace = c.GetString("kubernetes-api.pod-namespace") ?? string.Empty,
            PodLabelSelector = c.GetString("kubernetes-api.pod-label-selector") ?? string.Empty,
            Endpoints = endpoints,
        };
    }

    /// <summary>
    /// The Akka.Management, cluster bootstrap and Akka.Discovery keys these settings stand for; empty without a method.
    /// <paramref name="clusterHostname"/> is where management listens when <see cref="ManagementHostname"/> is empty.
    /// </summary>
    public Config ToAkkaConfig(string clusterHostname)
    {
        if (Method is null)
        {
            return Config.Empty;
        }

        var q = ClusterNodeSettings.Quote;
        var hostname = ManagementHostname.Length > 0 ? ManagementHostname : clusterHostname;
        var endpoints = string.Join(", ", Endpoints.Select(e => q(e.ToString())));
        return ConfigurationFactory.ParseString(
            $$"""
            akka.management.http {
              hostname = {{q(hostname)}}
              port = {{ManagementPort.ToString(CultureInfo.InvariantCulture)}}
            }
            akka.management.cluster.bootstrap {
              contact-point-discovery {
                service-name = {{q(ServiceName)}}
                discovery-method = {{q(Method)}}
                required-contact-point-nr = {{RequiredContactPoints.ToString(CultureInfo.InvariantCulture)}}
              }
              # Discovery gives management endpoints only, each on the port its node listens on (nodes on one host differ),
              # or no port (Kubernetes), for which the management port stands.
              contact-point.filter-on-fallback-port = false
            }
            akka.discovery {
              method = {{q(Method)}}
              config.services {
                {{q(ServiceName)}} { endpoints = [{{endpoints}}] }
              }
              kubernetes-api {
                class = {{q(KubernetesPodDiscovery.ClassName)}}
                pod-namespace = {{q(PodNamespace)}}
                pod-label-selector = {{q(PodLabelSelector)}}
              }
            }
            """);
    }
}
