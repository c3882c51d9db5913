using System.Text.Json;
using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Protocol;
using Akka.TestKit.Xunit2;

namespace Company.Audit.Tests;

/// <summary>The audit actor told what the broker would tell it.</summary>
public sealed class AuditActorTests : TestKit, IDisposable
{
    private static readonly ExtensionClient Client = new("c1", "alice", "tcp", "127.0.0.1:5000", MqttProtocolVersion.V500);
    private readonly string file = Path.GetTempFileName();

    void IDisposable.Dispose()
    {
        Shutdown();
        File.Delete(file);
    }

    [Fact]
    public void A_question_within_the_deny_topic_is_denied_and_any_other_gets_no_opinion()
    {
        var audit = Sys.ActorOf(AuditActor.Props(new AuditSettings(file, "secret/#")));

        audit.Tell(new AuthorizeClient(Client, ClientAction.Publish, "secret/plans", QualityOfService.AtLeastOnce, false), TestActor);
        Assert.Equal(ReasonCode.NotAuthorized, Assert.IsType<Denied>(ExpectMsg<Verdict>()).ReasonCode);

        audit.Tell(new AuthorizeClient(Client, ClientAction.Subscribe, "secret/+", QualityOfService.AtLeastOnce, false), TestActor);
        Assert.IsType<Denied>(ExpectMsg<Verdict>());

        audit.Tell(new AuthorizeClient(Client, ClientAction.Subscribe, "#", QualityOfService.AtLeastOnce, false), TestActor);
        Assert.Same(Verdict.NoOpinion, ExpectMsg<Verdict>());
    }

    [Fact]
    public void A_published_message_is_written_with_its_length_and_never_its_payload()
    {
        var audit = Sys.ActorOf(AuditActor.Props(new AuditSettings(file, null)));

        audit.Tell(new MessagePublished(DateTimeOffset.UnixEpoch, "c1", "plant/temp", QualityOfService.AtLeastOnce, true, "21.5C"u8.ToArray()), TestActor);

        // Each line is flushed as it is written, so it is in the file while the actor still holds it open.
        var line = AwaitLine();
        Assert.Equal("published", line.GetProperty("event").GetString());
        Assert.Equal("plant/temp", line.GetProperty("topic").GetString());
        Assert.Equal(1, line.GetProperty("qos").GetInt32());
        Assert.True(line.GetProperty("retain").GetBoolean());
        Assert.Equal(5, line.GetProperty("bytes").GetInt32());
        Assert.DoesNotContain("21.5C", File.ReadAllText(file), StringComparison.Ordinal);
    }

    private JsonElement AwaitLine()
    {
        string[] lines = [];
        AwaitCondition(() => (lines = File.ReadAllLines(file)).Length > 0);
        return JsonDocument.Parse(lines[0]).RootElement;
    }
}
