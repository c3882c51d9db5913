using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;

namespace Actors.Mqtt.Integration.Tests.Security;

/// <summary>A will is held to the ACL in force when it is due, not only to the one at CONNECT (Mosquitto 2 does the same).</summary>
public sealed class WillAclTests(SecuredBroker broker) : IClassFixture<SecuredBroker>
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);

    [Fact]
    public async Task A_will_the_reloaded_ACL_no_longer_allows_is_not_published()
    {
        var system = broker.Broker.Services.GetRequiredService<ActorSystem>();
        var reloads = Inbox.Create(system);
        system.EventStream.Subscribe(reloads.Receiver, typeof(SecurityFileReloaded));
        var (watcher, _) = await RawClient.ConnectAsync(broker.Broker.EndPoint, Alice("alice-watcher"));
        await using (watcher)
        {
            await watcher.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("alice/#")] });
            await watcher.ReceiveAsync<SubAckPacket>();
            var (dying, _) = await RawClient.ConnectAsync(broker.Broker.EndPoint, Alice("alice-dying") with
            {
                Will = new MqttWill("alice/will", "gone"u8.ToArray()),
            });

            // alice may still read her subtree, no longer write it.
            await File.WriteAllTextAsync(broker.AclFile, SecuredBroker.Acl.Replace("topic readwrite alice/#", "topic read alice/#", StringComparison.Ordinal));
            await ReloadTests.NextReloadAsync(reloads, broker.AclFile, ok: true);

            // Dropped without DISCONNECT: the will is due now.
            await dying.DisposeAsync();
            await watcher.ExpectNothingAsync(Quiet);
        }
    }

    private static ConnectPacket Alice(string clientId) => new()
    {
        ProtocolVersion = MqttProtocolVersion.V500,
        ClientId = clientId,
        UserName = "alice",
        Password = "alice-pw"u8.ToArray(),
        CleanSession = true,
    };
}
