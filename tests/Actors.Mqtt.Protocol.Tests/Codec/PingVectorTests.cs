using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>PINGREQ and PINGRESP: a fixed header with remaining length 0, the same in every version.</summary>
public class PingVectorTests
{
    public static TheoryData<MqttProtocolVersion> AllVersions => [MqttProtocolVersion.V310, MqttProtocolVersion.V311, MqttProtocolVersion.V500];

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void PingReq_round_trips(MqttProtocolVersion version)
    {
        Vector.RoundTrip(PingReqPacket.Instance, version, "C0 00" /* fixed header: PINGREQ, remaining length 0 */);
    }

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void PingResp_round_trips(MqttProtocolVersion version)
    {
        Vector.RoundTrip(PingRespPacket.Instance, version, "D0 00" /* fixed header: PINGRESP, remaining length 0 */);
    }
}
