using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Tests.Support;

public class PacketAssertTests
{
    [Fact]
    public void Describe_sees_payload_bytes_not_references()
    {
        var a = new PublishPacket { Topic = "t", Payload = new byte[] { 1, 2 } };
        var b = new PublishPacket { Topic = "t", Payload = new byte[] { 1, 2 } };
        var c = new PublishPacket { Topic = "t", Payload = new byte[] { 1, 3 } };
        Assert.Equal(PacketAssert.Describe(a), PacketAssert.Describe(b));
        Assert.NotEqual(PacketAssert.Describe(a), PacketAssert.Describe(c));
    }

    [Fact]
    public void Describe_sees_nested_properties_and_lists()
    {
        var a = new PublishPacket { Topic = "t", Properties = new MqttProperties { UserProperties = [new("k", "v")] } };
        var b = new PublishPacket { Topic = "t", Properties = new MqttProperties { UserProperties = [new("k", "w")] } };
        Assert.NotEqual(PacketAssert.Describe(a), PacketAssert.Describe(b));
    }
}
