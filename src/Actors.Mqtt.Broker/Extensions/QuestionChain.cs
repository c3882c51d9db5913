using Akka.Actor;

namespace Actors.Mqtt.Broker.Extensions;

/// <summary>One actor that answers a kind of question, with how long to wait for it and what to take when it is late.</summary>
public sealed record QuestionLink(string Name, IActorRef Answerer, TimeSpan Timeout, TimeoutAnswer OnTimeout);

/// <summary>The verdict a chain came to, and which link gave it (for the broker's log line).</summary>
/// <param name="Problem">Set when a link was late or failed and its <c>on-timeout</c> answer was taken: worth a warning.</param>
public sealed record ChainAnswer(Verdict Verdict, string DecidedBy, string? Problem = null);

/// <summary>
/// Asks a question of each link in order until one allows or denies (docs/extending.md, "Questions"). A link that
/// is late, fails or answers with anything but a <see cref="Verdict"/> gets its <c>on-timeout</c> answer instead; when
/// every link has no opinion, so has the chain, and the built-in that comes after it decides.
/// </summary>
/// <remarks>Runs outside any actor (its answer is piped to the one that asked), and holds nothing but the links.</remarks>
public sealed class QuestionChain(IReadOnlyList<QuestionLink> links)
{
    public const string Nobody = "no extension";

    public IReadOnlyList<QuestionLink> Links { get; } = links;

    public async Task<ChainAnswer> Ask(ExtensionQuestion question)
    {
        string? problem = null;
        foreach (var link in Links)
        {
            var (verdict, late) = await AskOne(link, question).ConfigureAwait(false);
            problem ??= late;
            if (verdict is not Abstained)
            {
                return new ChainAnswer(verdict, link.Name, problem);
            }
        }

        return new ChainAnswer(Verdict.NoOpinion, Nobody, problem);
    }

    private static async Task<(Verdict Verdict, string? Problem)> AskOne(QuestionLink link, ExtensionQuestion question)
    {
        string what;
        try
        {
            var answer = await link.Answerer.Ask<object>(question, link.Timeout).ConfigureAwait(false);
            if (answer is Verdict verdict)
            {
                return (verdict, null);
            }

            what = $"answered {answer.GetType().Name}, not a verdict";
        }
        catch (AskTimeoutException)
        {
            what = $"did not answer within {link.Timeout.TotalMilliseconds:0} ms";
        }
        catch (Exception e)
        {
            what = $"failed to answer: {e.Message}";
        }

        var problem = $"extension {link.Name} {what}; its on-timeout answer, {link.OnTimeout}, was taken";
        return (link.OnTimeout switch
        {
            TimeoutAnswer.Allow => Verdict.Allow,
            TimeoutAnswer.NoOpinion => Verdict.NoOpinion,
            _ => Verdict.Deny(Protocol.ReasonCode.NotAuthorized, $"extension {link.Name} {what}"),
        }, problem);
    }
}
