using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Akka.Actor;
using Akka.Cluster.Sharding;

namespace Actors.Mqtt.Broker.Sessions;

// The life of a SessionActor: attach, takeover, detach, will and expiry timers, the end.
public sealed partial class SessionActor
{
    private void OnRecovered()
    {
        journaling = state.Exists && state.ExpiryInterval > 0;
        indexed = state.Exists;
        if (!state.Exists)
        {
            return;
        }

        if (state.Subscriptions.Count > 0)
        {
            topicTree.Tell(new AddSubscriptions(Self, state.Subscriptions.Values.ToList(), journaling, Connected: false));
        }

        if (!journaling)
        {
            // Its expiry became 0 and the broker stopped before the journal was deleted.
            End();
            return;
        }

        if (state.DetachedAt is { } since)
        {
            // Its row, written again: recovery is when a row lost in a crash, or never written by an older broker, is made.
            IndexNow();
            CountDownOffline(since);
        }
        else
        {
            // It had a connection when its node stopped. When it lost it is known to whoever woke it for its deadline
            // (WakeUp says), or else taken to be now: decided at the first command.
            countdownPending = true;
        }
    }

    /// <summary>Counts down from when the session lost its connection with its node (see <see cref="OnRecovered"/>).</summary>
    private void CountDownFromLostNode(DateTimeOffset since)
    {
        Record(new SessionDetached(since));
        IndexNow();
        CountDownOffline(since);
    }

    /// <summary>Starts the timers of an offline session from the moment it lost its connection.</summary>
    private void CountDownOffline(DateTimeOffset since)
    {
        var now = settings.Time.GetUtcNow();
        var expiry = state.ExpiryInterval;
        if (state.Will is { } will)
        {
            var delay = Math.Min(will.Properties?.WillDelayInterval ?? 0, expiry);
            var due = since + TimeSpan.FromSeconds(delay) - now;
            if (due <= TimeSpan.Zero)
            {
                PublishWill();
            }
            else
            {
                Timers.StartSingleTimer(WillTimer, WillDelayElapsed.Instance, due);
            }
        }

        if (expiry == uint.MaxValue)
        {
            return;
        }

        var left = since + TimeSpan.FromSeconds(expiry) - now;
        if (left <= TimeSpan.Zero)
        {
            Expire();
        }
        else
        {
            Timers.StartSingleTimer(ExpiryTimer, SessionExpired.Instance, left);
        }
    }

    private void Attach(AttachSession attach)
    {
        if (connection is not null && !connection.Equals(attach.Connection))
        {
            Context.Unwatch(connection);
            connection.Tell(SessionTakenOver.Instance);

            // The connection taken over loses its will as if it had dropped; a will with a delay is not due, since a
            // new connection arrived within it [MQTT-3.1.3-9].
            if (state.Will is { } oldWill && (oldWill.Properties?.WillDelayInterval ?? 0) == 0)
            {
                PublishWill();
            }
        }

        Timers.Cancel(ExpiryTimer);

        // A reconnect before the will delay elapsed means the will is not sent [MQTT-3.1.3-9].
        Timers.Cancel(WillTimer);

        connection = attach.Connection;
        version = attach.Version;
        window = Math.Max((ushort)1, Math.Min(attach.ClientReceiveMaximum, settings.MaxInflightMessages));
        // A connection on this node tells the session when it ends, from its PostStop at the latest; one on another node
        // may go down with its node, and only death watch tells of that.
        if (!connection.Path.Address.HasLocalScope)
        {
            Context.Watch(connection);
        }

        // A session without expiry ends with the connection just taken over: a persistent CONNECT starts a new one, which
        // is journaled from its start and so recovers as it is.
        var present = state.Exists && !attach.CleanStart && state.ExpiryInterval > 0;
        if (!present)
        {
            if (state.Subscriptions.Count > 0)
            {
                topicTree.Tell(new RemoveClient(clientId));
            }

            ForgetJournal();
            Record(new SessionStarted(attach.SessionExpiryInterval));
        }
        else
        {
            var wasJournaling = journaling;
            if (state.ExpiryInterval != attach.SessionExpiryInterval)
            {
                Record(new ExpiryChanged(attach.SessionExpiryInterval));
            }

            if (journaling != wasJournaling && state.Subscriptions.Count > 0)
            {
                topicTree.Tell(new AddSubscriptions(Self, state.Subscriptions.Values.ToList(), journaling));
            }

            if (state.DetachedAt is not null)
            {
                Record(SessionResumed.Instance);
            }

            TellPresence();
        }

        // CONNACK waits for the session index as well as the journal: a will or an expiry that the index does not know
        // would not run while the session sleeps.
        Record(new WillChanged(attach.Will), () => IndexNow(() =>
        {
            // Taken over, or gone, before the writes landed: that connection was told (or needs nothing), and the
            // connection now attached gets its own answer.
            if (!attach.Connection.Equals(connection))
            {
                return;
            }

            attach.Connection.Tell(new SessionAttached(Self, present));
            if (present)
            {
                Redeliver();
            }

            SendQueued();
        }));
    }

    /// <summary>On reconnect, unacknowledged PUBLISH and PUBREL go again with their original ids [MQTT-4.4.0-1].</summary>
    private void Redeliver()
    {
        foreach (var inflight in state.InflightInOrder())
        {
            connection!.Tell(new SendToClient(inflight.Released
                ? new PubRelPacket { PacketId = inflight.PacketId }
                : BuildPublish(inflight.Message, inflight.PacketId, dup: true)));
        }
    }

    private void Detach(DetachSession detach)
    {
        if (connection is null || !connection.Equals(detach.Connection))
        {
            return;
        }

        Context.Unwatch(connection);
        connection = null;
        TellPresence();

        // Decided on the new expiry itself: a journaled change reaches the state only when its write is confirmed.
        var expiry = detach.SessionExpiryInterval ?? state.ExpiryInterval;
        if (expiry != state.ExpiryInterval)
        {
            Record(new ExpiryChanged(expiry));
        }

        if (journaling && expiry > 0)
        {
            Record(new SessionDetached(settings.Time.GetUtcNow()));
        }

        var will = state.Will;
        if (!detach.PublishWill && will is not null)
        {
            Record(new WillChanged(null));
        }

        if (detach.PublishWill && will is not null)
        {
            var delay = will.Properties?.WillDelayInterval ?? 0;
            if (delay == 0 || expiry == 0)
            {
                PublishWill();
            }
            else
            {
                // The will goes when its delay elapses or the session ends, whichever comes first [MQTT-3.1.2-8].
                Timers.StartSingleTimer(WillTimer, WillDelayElapsed.Instance, TimeSpan.FromSeconds(Math.Min(delay, expiry)));
            }
        }

        IndexNow();
        if (expiry == 0)
        {
            End();
        }
        else if (expiry != uint.MaxValue)
        {
            Timers.StartSingleTimer(ExpiryTimer, SessionExpired.Instance, TimeSpan.FromSeconds(expiry));
        }
    }

    /// <summary>Tells the topic tree whether this session has a connection, for the shared groups it is a member of.</summary>
    private void TellPresence()
    {
        if (state.Subscriptions.Values.Any(s => s.Filter.IsShared))
        {
            topicTree.Tell(new SessionPresence(clientId, connection is not null));
        }
    }

    private void PublishWill()
    {
        Timers.Cancel(WillTimer);
        if (state.Will is not { } will)
        {
            return;
        }

        var message = new PublishPacket
        {
            Topic = will.Topic,
            Payload = will.Payload,
            QoS = will.QoS,
            Retain = will.Retain,
            Properties = WillMessageProperties(will.Properties),
        };
        publisher.Publish(message, clientId, settings.Time.Milliseconds());
        Record(new WillChanged(null));
        IndexNow();
    }

    /// <summary>The will's properties minus the will delay, which is not a property of the message it becomes.</summary>
    private static MqttProperties? WillMessageProperties(MqttProperties? p) => p is null
        ? null
        : new MqttProperties
        {
            PayloadFormatIndicator = p.PayloadFormatIndicator,
            MessageExpiryInterval = p.MessageExpiryInterval,
            ContentType = p.ContentType,
            ResponseTopic = p.ResponseTopic,
            CorrelationData = p.CorrelationData,
            UserProperties = p.UserProperties,
        };

    /// <summary>The session's expiry interval passed without its client.</summary>
    private void Expire()
    {
        BrokerMetrics.SessionsExpired.Add(1);
        events?.Expired(clientId);
        End();
    }

    private void End()
    {
        Timers.Cancel(ExpiryTimer);

        // A will still waiting for its delay goes now: the session ends first [MQTT-3.1.2-8].
        if (Timers.IsTimerActive(WillTimer))
        {
            PublishWill();
        }

        if (state.Subscriptions.Count > 0)
        {
            topicTree.Tell(new RemoveClient(clientId));
        }

        // Stopped only once the journal is deleted: a session of the same client id started before that would recover
        // the ended one's events.
        ending = true;
        journaling = false;
        endedAt = LastSequenceNr;
        ForgetJournal();
        if (endedAt == 0)
        {
            Passivate();
        }
    }

    /// <summary>
    /// Asks the shard to stop this actor. A message that reaches this actor from now on (it was sent before the shard
    /// knew) goes back to the shard, which holds it for the next actor of the client id, as it holds what it receives
    /// itself meanwhile: handled here, an attach would be answered by an actor about to stop.
    /// </summary>
    private void Passivate()
    {
        if (passivating)
        {
            return;
        }

        passivating = true;
        Context.Parent.Tell(new Passivate(StopSession.Instance));
        foreach (var (message, sender) in afterEnd ?? [])
        {
            Context.Parent.Tell(new SessionEnvelope(clientId, message), sender);
        }

        afterEnd = null;
    }

    /// <summary>A session woken by a message without ever having begun (or after it ended) has nothing to keep.</summary>
    private void StopIfEmpty()
    {
        if (!state.Exists && connection is null)
        {
            Passivate();
        }
    }
}
