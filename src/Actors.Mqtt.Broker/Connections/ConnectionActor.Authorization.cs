using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Topics;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Connections;

// What the operator's authorizing extensions say about a PUBLISH or SUBSCRIBE of ConnectionActor (docs/extending.md):
// answers kept per topic, and while one is asked, the packet and everything read after it wait, in order
// (HandleInTurn, in ConnectionActor.Inbound.cs).
public sealed partial class ConnectionActor
{
    /// <summary>
    /// What the extensions said about these topics, from the cache; false when one must be asked first, in which case
    /// <paramref name="packet"/> waits and is handled again (through <see cref="OnVerdicts"/>) once they answered.
    /// </summary>
    private bool TryVerdicts(MqttPacket packet, ClientAction action, List<string> topics, QualityOfService qos, bool retain, out Verdict[] verdicts)
    {
        verdicts = new Verdict[topics.Count];
        var now = settings.Time.Milliseconds();
        verdictCache ??= new AuthorizationCache(settings.ExtensionCacheEntries, (long)settings.ExtensionCacheTtl.TotalMilliseconds);
        List<string>? missing = null;
        for (var i = 0; i < topics.Count; i++)
        {
            if (!verdictCache.TryGet(action, topics[i], now, out verdicts[i]) && !TryJustAnswered(action, topics[i], out verdicts[i]))
            {
                (missing ??= []).Add(topics[i]);
            }
        }

        if (missing is null)
        {
            return true;
        }

        awaitingVerdict = packet;
        var chain = authorize!;
        var client = ExtensionClient();
        Task.WhenAll(missing.Select(topic => chain.Ask(new AuthorizeClient(client, action, topic, qos, retain))))
            .PipeTo(Self, success: answers => new VerdictsAnswered(action, missing, answers));
        return false;
    }

    private void OnVerdicts(VerdictsAnswered answered)
    {
        var now = settings.Time.Milliseconds();
        for (var i = 0; i < answered.Topics.Count; i++)
        {
            var answer = answered.Answers[i];
            if (answer.Problem is { } problem)
            {
                log.Warning("Client {ClientId}: {Problem}", clientId, problem);
            }

            verdictCache!.Add(answered.Action, answered.Topics[i], answer.Verdict, now);
        }

        // The packet is handled with these answers whether or not the cache keeps them (with a ttl of 0 it keeps none).
        var packet = awaitingVerdict;
        awaitingVerdict = null;
        justAnswered = answered;
        switch (packet)
        {
            case PublishPacket publish:
                AdmitPublish(publish);
                break;
            case SubscribePacket subscribe:
                OnSubscribe(subscribe);
                break;
        }

        justAnswered = null;
        ResumeHeld();
    }

    /// <summary>What the extensions say about a PUBLISH (no opinion when none authorizes); false when they must be
    /// asked first.</summary>
    private bool TryPublishVerdict(PublishPacket publish, out Verdict verdict)
    {
        if (authorize is null)
        {
            verdict = Verdict.NoOpinion;
            return true;
        }

        // Every PUBLISH passes here: a kept answer is read without the list and array a question needs.
        if ((verdictCache is { } cache && cache.TryGet(ClientAction.Publish, publish.Topic, settings.Time.Milliseconds(), out verdict))
            || TryJustAnswered(ClientAction.Publish, publish.Topic, out verdict))
        {
            return true;
        }

        var found = TryVerdicts(publish, ClientAction.Publish, [publish.Topic], publish.QoS, publish.Retain, out var verdicts);
        verdict = verdicts[0];
        return found;
    }

    /// <summary>A SUBSCRIBE, once the extensions answered for each filter (without <c>$share/group/</c>); the client's
    /// permissions decide the filters they had no opinion on.</summary>
    private void OnSubscribe(SubscribePacket subscribe)
    {
        bool[]? denied = null;
        bool[]? allowed = null;
        if (authorize is not null)
        {
            var filters = subscribe.Subscriptions
                .Select(s => TopicFilter.TryParse(s.TopicFilter, version == MqttProtocolVersion.V500, out var filter, out _) ? filter.Filter : s.TopicFilter)
                .ToList();
            var qos = subscribe.Subscriptions.Count > 0 ? subscribe.Subscriptions.Max(s => s.MaximumQoS) : QualityOfService.AtMostOnce;
            if (!TryVerdicts(subscribe, ClientAction.Subscribe, filters, qos, retain: false, out var verdicts))
            {
                return;
            }

            for (var i = 0; i < verdicts.Length; i++)
            {
                if (verdicts[i] is Denied no)
                {
                    log.Debug("Client {ClientId} (username {UserName}) may not subscribe to {Filter}: {Reason}", clientId, userName ?? "(none)", filters[i], no.Reason);
                    (denied ??= new bool[verdicts.Length])[i] = true;
                }
                else if (verdicts[i] is Allowed)
                {
                    (allowed ??= new bool[verdicts.Length])[i] = true;
                }
            }
        }

        if (permissions is { } rules && DeniedFilters(subscribe, rules) is { } byRules)
        {
            for (var i = 0; i < byRules.Length; i++)
            {
                if (byRules[i] && allowed?[i] != true)
                {
                    (denied ??= new bool[byRules.Length])[i] = true;
                }
            }
        }

        session!.Tell(new SubscribeRequest(subscribe, denied));
    }

    private bool TryJustAnswered(ClientAction action, string topic, out Verdict verdict)
    {
        if (justAnswered is { } answered && answered.Action == action)
        {
            for (var i = 0; i < answered.Topics.Count; i++)
            {
                if (answered.Topics[i] == topic)
                {
                    verdict = answered.Answers[i].Verdict;
                    return true;
                }
            }
        }

        verdict = Verdict.NoOpinion;
        return false;
    }

    /// <summary>The extensions' answers for <see cref="Topics"/>, in their order.</summary>
    private sealed record VerdictsAnswered(ClientAction Action, IReadOnlyList<string> Topics, IReadOnlyList<ChainAnswer> Answers);
}
