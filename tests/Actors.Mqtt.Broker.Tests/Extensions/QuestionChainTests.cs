using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Protocol;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace Actors.Mqtt.Broker.Tests.Extensions;

/// <summary>Extensions are asked in their order until one allows or denies; one that is late, fails or answers
/// something else than a verdict gets its configured answer.</summary>
public sealed class QuestionChainTests : TestKit
{
    private static readonly AuthorizeClient Question =
        new(new ExtensionClient("c1", "alice", "tcp", "127.0.0.1:5000", MqttProtocolVersion.V500), ClientAction.Publish, "a/b", QualityOfService.AtLeastOnce, false);

    private IActorRef Answering(Func<object, object?> answer) =>
        Sys.ActorOf(Props.Create(() => new Answerer(answer)));

    private static QuestionLink Link(string name, IActorRef answerer, TimeoutAnswer onTimeout = TimeoutAnswer.Deny, int timeoutMs = 10_000) =>
        new(name, answerer, TimeSpan.FromMilliseconds(timeoutMs), onTimeout);

    [Fact]
    public async Task The_first_extension_with_an_opinion_decides_and_the_later_ones_are_not_asked()
    {
        var third = CreateTestProbe();
        var chain = new QuestionChain([
            Link("quiet", Answering(_ => Verdict.NoOpinion)),
            Link("judge", Answering(_ => Verdict.Deny(ReasonCode.QuotaExceeded, "no"))),
            Link("never", third.Ref),
        ]);

        var answer = await chain.Ask(Question);

        Assert.Equal(Verdict.Deny(ReasonCode.QuotaExceeded, "no"), answer.Verdict);
        Assert.Equal("judge", answer.DecidedBy);
        Assert.Null(answer.Problem);
        third.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task When_nobody_has_an_opinion_neither_has_the_chain()
    {
        var chain = new QuestionChain([Link("a", Answering(_ => Verdict.NoOpinion)), Link("b", Answering(_ => Verdict.NoOpinion))]);

        var answer = await chain.Ask(Question);

        Assert.IsType<Abstained>(answer.Verdict);
        Assert.Equal(QuestionChain.Nobody, answer.DecidedBy);
    }

    [Theory]
    [InlineData(TimeoutAnswer.Deny, typeof(Denied))]
    [InlineData(TimeoutAnswer.Allow, typeof(Allowed))]
    public async Task A_late_extension_gets_its_on_timeout_answer_and_the_problem_is_told(TimeoutAnswer onTimeout, Type expected)
    {
        var chain = new QuestionChain([Link("late", CreateTestProbe().Ref, onTimeout, timeoutMs: 100)]);

        var answer = await chain.Ask(Question);

        Assert.IsType(expected, answer.Verdict);
        Assert.Contains("late", answer.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_late_extension_with_no_opinion_on_timeout_passes_the_question_on()
    {
        var chain = new QuestionChain([
            Link("late", CreateTestProbe().Ref, TimeoutAnswer.NoOpinion, timeoutMs: 100),
            Link("next", Answering(_ => Verdict.Allow)),
        ]);

        var answer = await chain.Ask(Question);

        Assert.IsType<Allowed>(answer.Verdict);
        Assert.Equal("next", answer.DecidedBy);
        Assert.NotNull(answer.Problem);
    }

    [Fact]
    public async Task An_answer_that_is_not_a_verdict_counts_as_late()
    {
        var chain = new QuestionChain([Link("confused", Answering(_ => "yes"), TimeoutAnswer.Deny)]);

        var answer = await chain.Ask(Question);

        Assert.IsType<Denied>(answer.Verdict);
        Assert.Contains("String", answer.Problem, StringComparison.Ordinal);
    }

    private sealed class Answerer : ReceiveActor
    {
        public Answerer(Func<object, object?> answer) =>
            ReceiveAny(question =>
            {
                if (answer(question) is { } reply)
                {
                    Sender.Tell(reply);
                }
            });
    }
}
