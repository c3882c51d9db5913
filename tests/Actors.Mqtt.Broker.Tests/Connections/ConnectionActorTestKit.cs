using System.Buffers;
using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;

namespace Actors.Mqtt.Broker.Tests.Connections;

/// <summary>
/// A real <see cref="ConnectionActor"/> with probes for its streams, topic tree, sessions and auth: the connection
/// is taken through CONNECT and CONNACK, then a test reads packets into it and watches what it sends where.
/// </summary>
public abstract class ConnectionActorTestKit : TestKit
{
    protected static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);
    protected static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly ConnectionInfo Tcp = new("tcp", "127.0.0.1:5000", "127.0.0.1:1883");

    protected ConnectionActorTestKit()
    {
        Inbound = CreateTestProbe();
        Outbound = CreateTestProbe();
        Topics = CreateTestProbe();
        Sessions = CreateTestProbe();
        Session = CreateTestProbe();
    }

    /// <summary>The stream's inbound side: gets the connection's InboundAck.</summary>
    protected TestProbe Inbound { get; }

    /// <summary>The stream's outbound side: gets everything else the connection sends its stream.</summary>
    protected TestProbe Outbound { get; }

    /// <summary>The topic tree's guardian.</summary>
    protected TestProbe Topics { get; }

    /// <summary>The session shard region: gets the AttachSession, in an envelope.</summary>
    protected TestProbe Sessions { get; }

    /// <summary>The session that answered the AttachSession.</summary>
    protected TestProbe Session { get; }

    protected IActorRef Connection { get; private set; } = ActorRefs.Nobody;

    /// <summary>A connection through CONNECT and CONNACK, with an outbound queue of two packets; without
    /// <paramref name="attach"/>, left waiting for its session's answer.</summary>
    /// <param name="authorize">The authorizing extensions the connection asks, if any.</param>
    /// <param name="will">The will of CONNECT.</param>
    /// <param name="permissions">The rules the connection is given with its client's acceptance.</param>
    /// <param name="outboundQueue">Packets that may wait for the socket.</param>
    /// <param name="time">The connection's clock, the system's if null.</param>
    /// <param name="stallAfter">How long the socket may take nothing before the client counts as stalled.</param>
    /// <param name="authenticating">Done once the connection asked whether its client may connect, before it is told.</param>
    /// <param name="accepted">Done once the connection heard that its client may connect, before it asks for its session.</param>
    /// <returns>What the connection asked its session for.</returns>
    protected SessionEnvelope Connect(TimeSpan? paceTimeout = null, bool attach = true, ushort receiveMaximum = 100, QuestionChain? authorize = null, MqttWill? will = null, Action? accepted = null, TimeSpan? extensionCacheTtl = null, IClientPermissions? permissions = null, Action? authenticating = null, TimeSpan? stallAfter = null, int outboundQueue = 2, TimeProvider? time = null)
    {
        var sessions = Sessions;
        var auth = CreateTestProbe();
        var settings = BrokerSettings.From(BrokerSettings.Reference) with
        {
            OutboundQueue = outboundQueue,
            Time = time ?? TimeProvider.System,
            PaceTimeout = paceTimeout ?? TimeSpan.FromMinutes(5),
            StallAfter = stallAfter ?? TimeSpan.FromMinutes(5),
            ReceiveMaximum = receiveMaximum,
            ExtensionCacheTtl = extensionCacheTtl ?? TimeSpan.FromSeconds(60),
        };
        Connection = Sys.ActorOf(ConnectionActor.Props(Tcp, settings, sessions.Ref, Topics.Ref, CreateTestProbe().Ref, auth.Ref, authorize));

        Connection.Tell(new StreamReady(message => (message is InboundAck ? Inbound : Outbound).Ref.Tell(message)));
        Inbound.ExpectMsg<InboundAck>(Generous);
        Read(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "paced", CleanSession = true, Will = will });
        auth.ExpectMsg<Authenticate>(Generous);
        authenticating?.Invoke();
        Connection.Tell(new ConnectAccepted(permissions));
        accepted?.Invoke();
        var attachRequest = sessions.ExpectMsg<SessionEnvelope>(Generous);
        if (!attach)
        {
            return attachRequest;
        }

        Connection.Tell(new SessionAttached(Session.Ref, SessionPresent: false));
        Assert.IsType<ConnAckPacket>(Outbound.FishForMessage<OutboundPacket>(_ => true, Generous).Packet);
        Connection.Tell(new OutboundWritten(1));
        Inbound.ExpectMsg<InboundAck>(Generous);
        return attachRequest;
    }

    protected void Read(params MqttPacket[] packets)
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach (var packet in packets)
        {
            MqttPacketEncoder.Encode(packet, MqttProtocolVersion.V500, writer);
        }

        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory.ToArray());
        var frames = new List<MqttFrame>();
        while (MqttFrameReader.TryRead(ref buffer, 1 << 20, out var frame, out _) == OperationStatus.Done)
        {
            frames.Add(frame);
        }

        Connection.Tell(new FrameBatch(frames, null), Inbound.Ref);
    }
}
