using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Sessions;

namespace Actors.Mqtt.Broker.Tests.Connections;

/// <summary>
/// How a connection actor ends: its stream's output first, then the stage itself; and its session learns of the end
/// exactly once, however the actor stops (the session does not watch a connection on its own node).
/// </summary>
public sealed class ConnectionEndTests : ConnectionActorTestKit
{
    [Fact]
    public void A_client_that_went_away_gets_its_output_completed_and_then_its_stage_stopped()
    {
        Connect();

        Connection.Tell(InboundCompleted.Instance, Inbound.Ref);

        Outbound.FishForMessage<OutboundComplete>(_ => true, Generous);
        Outbound.ExpectMsg<ConnectionEnded>(Generous);
        Assert.Equal(new DetachSession(Connection, PublishWill: true, SessionExpiryInterval: null), Session.ExpectMsg<DetachSession>(Generous));
        Session.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_connection_stopped_from_outside_tells_its_session_as_for_a_client_that_dropped()
    {
        Connect();

        Sys.Stop(Connection);

        Assert.Equal(new DetachSession(Connection, PublishWill: true, SessionExpiryInterval: null), Session.ExpectMsg<DetachSession>(Generous));
        Session.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_connection_stopped_before_its_session_answered_tells_the_session_through_the_shard_region()
    {
        Connect(attach: false);

        Sys.Stop(Connection);

        var envelope = Sessions.ExpectMsg<SessionEnvelope>(Generous);
        Assert.Equal("paced", envelope.ClientId);
        Assert.Equal(new DetachSession(Connection, PublishWill: true, SessionExpiryInterval: null), envelope.Message);
    }

    [Fact]
    public void A_connection_whose_session_was_taken_over_does_not_tell_that_session_it_ended()
    {
        Connect();

        Connection.Tell(SessionTakenOver.Instance, Session.Ref);

        Outbound.FishForMessage<ConnectionEnded>(_ => true, Generous);
        Session.ExpectNoMsg(Quiet);
        Sessions.ExpectNoMsg(Quiet);
    }
}
