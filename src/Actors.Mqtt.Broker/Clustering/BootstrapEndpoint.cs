using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Dsl;
using Newtonsoft.Json;
using static Akka.Management.Cluster.Bootstrap.ContactPoint.HttpBootstrapJsonProtocol;

namespace Actors.Mqtt.Broker.Clustering;

/// <summary>
/// The management endpoint cluster bootstrap probes on every node: <c>GET /bootstrap/seed-nodes</c>, answered with
/// the members this node sees, as Akka.Management's own route answers it (docs/architecture.md, Cluster).
/// </summary>
/// <remarks>
/// Akka.Management's HTTP server (Akka.Http.Shim) is built against Ceen.Httpd 0.9.9, which NuGet does not serve here;
/// with 0.9.10 it fails to bind (MissingMethodException). So the broker serves the one route bootstrap needs itself,
/// before the node is a member (the monitoring listener opens only after), and hands bootstrap its own address as
/// Akka.Management would.
/// </remarks>
public sealed class BootstrapEndpoint : IDisposable
{
    private const string SeedNodesPath = "/bootstrap/seed-nodes";

    private readonly HttpListener listener = new();
    private readonly ActorSystem system;
    private readonly int maxSeedNodes;

    private BootstrapEndpoint(ActorSystem system, Uri baseUri, int maxSeedNodes)
    {
        this.system = system;
        this.maxSeedNodes = maxSeedNodes;
        BaseUri = baseUri;
        listener.Prefixes.Add(baseUri.ToString());
    }

    /// <summary>Where the other nodes reach this one's endpoint, ending in a slash.</summary>
    public Uri BaseUri { get; }

    /// <summary>Listens on the management host and port, stops when the actor system terminates, and starts the
    /// bootstrap, which probes the endpoints discovery finds until this node forms or joins a cluster.</summary>
    public static async Task<BootstrapEndpoint> StartAsync(ActorSystem system, ClusterNodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        var host = settings.Discovery.ManagementHostname.Length > 0 ? settings.Discovery.ManagementHostname : settings.Hostname;
        var authority = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
        var baseUri = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{authority}:{settings.Discovery.ManagementPort}/"));
        var bootstrap = ClusterBootstrap.Get(system);
        var endpoint = new BootstrapEndpoint(system, baseUri, 5);
        endpoint.listener.Start();
        _ = endpoint.ServeAsync();
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseActorSystemTerminate, "bootstrap-endpoint", () =>
        {
            endpoint.Dispose();
            return Task.FromResult(Akka.Done.Instance);
        });

        // What Akka.Management does when it binds the routes: bootstrap learns its own contact point from them.
        bootstrap.Routes(ManagementRouteProviderSettings.Create(baseUri, true));
        await bootstrap.Start().ConfigureAwait(false);
        return endpoint;
    }

    public void Dispose() => listener.Close();

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var response = context.Response;
            if (context.Request.HttpMethod != "GET" || context.Request.Url?.AbsolutePath != SeedNodesPath)
            {
                response.StatusCode = (int)HttpStatusCode.NotFound;
                continue;
            }

            // A node that has not joined yet reads as Removed, and answers: it has no members, which lets the lowest
            // contact point form the cluster. One that is leaving is no contact point.
            var cluster = Cluster.Get(system);
            if (cluster.SelfMember.Status is MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving)
            {
                response.StatusCode = (int)HttpStatusCode.ServiceUnavailable;
                continue;
            }

            var state = cluster.State;
            var members = state.Members
                .Where(m => !state.Unreachable.Contains(m) && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
                .Take(maxSeedNodes)
                .Select(m => new ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
                .ToImmutableList();
            var body = Encoding.UTF8.GetBytes(JsonConvert.SerializeObject(new SeedNodes(cluster.SelfMember.UniqueAddress.Address, members)));
            response.ContentType = "application/json";
            response.ContentLength64 = body.Length;
            await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
        }
    }
}
