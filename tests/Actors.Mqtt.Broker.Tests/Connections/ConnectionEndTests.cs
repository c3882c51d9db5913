using Actors.Mqtt.Broker.Connections;

namespace Actors.Mqtt.Broker.Tests.Connections;

/// <summary>How a connection actor ends its stream: the output first, then the stage itself.</summary>
public sealed class ConnectionEndTests : ConnectionActorTestKit
{
    [Fact]
    public void A_client_that_went_away_gets_its_output_completed_and_then_its_stage_stopped()
    {
        Connect();

        Connection.Tell(InboundCompleted.Instance, Inbound.Ref);

        Outbound.FishForMessage<OutboundComplete>(_ => true, Generous);
        Outbound.ExpectMsg<ConnectionEnded>(Generous);
    }
}
