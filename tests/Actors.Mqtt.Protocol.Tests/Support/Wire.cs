using System.Buffers;
using Actors.Mqtt.Protocol.Codec;

namespace Actors.Mqtt.Protocol.Tests.Support;

/// <summary>Hand-written wire bytes for the malformed-input tests, and the assertions they share.</summary>
public static class Wire
{
    public static readonly TheoryData<MqttProtocolVersion> AllVersions =
        [MqttProtocolVersion.V310, MqttProtocolVersion.V311, MqttProtocolVersion.V500];

    public static readonly TheoryData<MqttProtocolVersion> V3Versions =
        [MqttProtocolVersion.V310, MqttProtocolVersion.V311];

    /// <summary>Hex digits, spaces allowed between bytes: <c>"30 03 00 01 61"</c>.</summary>
    public static byte[] Bytes(string hex) =>
        Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    /// <summary>A whole packet: the first header byte, the remaining length worked out from the body, the body.</summary>
    public static byte[] Packet(byte header, string bodyHex)
    {
        var body = Bytes(bodyHex);
        var length = new byte[4];
        var lengthBytes = VariableByteInteger.Write(length, body.Length);
        return [header, .. length.AsSpan(0, lengthBytes), .. body];
    }

    /// <summary>Decodes and asserts the refusal: the reason code always, the spec id when one is given.</summary>
    public static MqttError Fails(byte[] bytes, MqttProtocolVersion version, ReasonCode expected, string? specId = null, int maximumPacketSize = int.MaxValue)
    {
        var error = PacketAssert.DecodeError(bytes, version, maximumPacketSize);
        Assert.True(expected == error.ReasonCode, $"expected 0x{(byte)expected:X2} {expected}, got {error}");
        if (specId is not null)
        {
            Assert.Equal(specId, error.SpecId);
        }

        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        return error;
    }

    /// <summary>The decoder's status for the bytes; the buffer must be untouched unless a packet was read.</summary>
    public static OperationStatus Status(byte[] bytes, MqttProtocolVersion version, int maximumPacketSize = int.MaxValue)
    {
        var sequence = new ReadOnlySequence<byte>(bytes);
        var status = MqttPacketDecoder.TryRead(ref sequence, version, maximumPacketSize, out _, out _);
        if (status == OperationStatus.NeedMoreData)
        {
            Assert.Equal(bytes.Length, sequence.Length);
        }

        return status;
    }
}
