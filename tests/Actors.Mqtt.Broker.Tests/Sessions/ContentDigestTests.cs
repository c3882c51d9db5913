using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Broker.Tests.Sessions;

public sealed class ContentDigestTests
{
    private static readonly PublishPacket Message = new() { Topic = "a/b", Payload = new byte[] { 1, 2, 3 }, QoS = QualityOfService.ExactlyOnce, PacketId = 9 };

    [Fact]
    public void A_retry_of_a_message_has_its_digest_whatever_its_packet_id_and_flags()
    {
        Assert.Equal(ContentDigest.Of(Message), ContentDigest.Of(Message with { Dup = true, PacketId = 10, Retain = true }));
    }

    [Fact]
    public void Another_topic_or_payload_is_another_digest()
    {
        var digest = ContentDigest.Of(Message);

        Assert.NotEqual(digest, ContentDigest.Of(Message with { Topic = "a/c" }));
        Assert.NotEqual(digest, ContentDigest.Of(Message with { Payload = new byte[] { 1, 2, 4 } }));
        Assert.NotEqual(digest, ContentDigest.Of(Message with { Payload = ReadOnlyMemory<byte>.Empty }));
    }

    [Fact]
    public void A_digest_journaled_before_digests_existed_matches_every_message()
    {
        Assert.True(ContentDigest.Same(ContentDigest.Unknown, ContentDigest.Of(Message)));
        Assert.False(ContentDigest.Same(ContentDigest.Of(Message with { Topic = "x" }), ContentDigest.Of(Message)));
        Assert.NotEqual(ContentDigest.Unknown, ContentDigest.Of(Message));
    }
}
