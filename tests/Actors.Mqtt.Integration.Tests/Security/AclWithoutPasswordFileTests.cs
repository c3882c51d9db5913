using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Integration.Tests.Security;

/// <summary>
/// An ACL file without a password file: a username nobody checked proves nothing, so a client that names one gets the
/// anonymous rules, not that user's (docs/configuration.md, allow-anonymous). Mosquitto would give it the user's
/// rules, which lets any client claim any name.
/// </summary>
public sealed class AclWithoutPasswordFileTests : IAsyncLifetime
{
    private const string Acl = """
        topic readwrite public/#

        user alice
        topic readwrite alice/#

        pattern readwrite users/%u/#
        """;

    private readonly string folder = Directory.CreateTempSubdirectory("acl-only-").FullName;
    private BrokerFixture broker = null!;

    public async Task InitializeAsync()
    {
        var aclFile = Path.Combine(folder, "acl");
        await File.WriteAllTextAsync(aclFile, Acl);
        broker = new BrokerFixture { Overrides = [$"actors-mqtt.auth.acl-file={aclFile}", "actors-mqtt.auth.allow-anonymous=true"] };
        await broker.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await broker.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task A_client_that_names_a_user_gets_the_anonymous_rules()
    {
        var (alice, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V500,
            ClientId = "claims-alice",
            UserName = "alice",
            CleanSession = true,
        });
        await using (alice)
        {
            await alice.SendAsync(new PublishPacket { Topic = "alice/x", Payload = "1"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 1 });
            Assert.Equal(ReasonCode.NotAuthorized, (await alice.ReceiveAsync<PubAckPacket>()).ReasonCode);
            await alice.SendAsync(new PublishPacket { Topic = "users/alice/x", Payload = "2"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 2 });
            Assert.Equal(ReasonCode.NotAuthorized, (await alice.ReceiveAsync<PubAckPacket>()).ReasonCode);

            // What anonymous clients may do, it may do.
            await alice.SendAsync(new PublishPacket { Topic = "public/x", Payload = "3"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 3 });
            Assert.Equal(ReasonCode.NoMatchingSubscribers, (await alice.ReceiveAsync<PubAckPacket>()).ReasonCode);
        }
    }
}
