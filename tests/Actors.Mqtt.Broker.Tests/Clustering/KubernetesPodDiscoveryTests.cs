using Actors.Mqtt.Broker.Clustering;
using k8s.Models;

namespace Actors.Mqtt.Broker.Tests.Clustering;

public class KubernetesPodDiscoveryTests
{
    [Fact]
    public void Only_running_pods_with_an_IP_that_are_not_being_deleted_are_contact_points_by_their_IP_without_a_port()
    {
        static V1Pod Pod(string phase, string? ip, bool deleting = false) => new()
        {
            Metadata = new V1ObjectMeta { Name = ip ?? "none", DeletionTimestamp = deleting ? DateTime.UtcNow : null },
            Status = new V1PodStatus { Phase = phase, PodIP = ip },
        };
        var pods = new V1PodList
        {
            Items =
            [
                Pod("Running", "10.1.0.1"),
                Pod("Pending", "10.1.0.2"),
                Pod("Running", null),
                Pod("Running", "10.1.0.4", deleting: true),
                Pod("Running", "10.1.0.5"),
            ],
        };

        var targets = KubernetesPodDiscovery.Targets(pods);

        Assert.Equal(["10.1.0.1 ", "10.1.0.5 "], targets.Select(t => $"{t.Host} {t.Port}"));
    }
}
