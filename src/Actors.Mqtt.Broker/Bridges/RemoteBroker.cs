using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MqttUserProperty = Actors.Mqtt.Protocol.Properties.MqttUserProperty;
using RemoteUserProperty = MQTTnet.Packets.MqttUserProperty;
using RemoteVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Actors.Mqtt.Broker.Bridges;

/// <summary>
/// The remote side of a bridge in MQTTnet's terms: the client's options and subscriptions from a bridge's settings,
/// and messages turned from this broker's packets into MQTTnet's and back.
/// </summary>
internal static class RemoteBroker
{
    public static MqttClientOptions ClientOptions(BridgeSettings bridge)
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(bridge.Host, bridge.Port)
            .WithClientId(bridge.RemoteClientId)
            .WithProtocolVersion(bridge.Protocol == MqttProtocolVersion.V500 ? RemoteVersion.V500 : RemoteVersion.V311)
            .WithCleanSession(bridge.CleanSession)
            .WithKeepAlivePeriod(bridge.KeepAlive)
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (bridge.Protocol == MqttProtocolVersion.V500)
        {
            // The remote keeps the bridge's session while it is away, as this broker keeps the local one.
            options.WithSessionExpiryInterval(bridge.CleanSession ? 0 : uint.MaxValue);
        }
        else
        {
            // Mosquitto's bridge flag: a Mosquitto on the other side then sends none of the bridge's own messages back to
            // it, the loop prevention MQTT 5 has in No Local (mosquitto.conf, try_private).
            options.WithTryPrivate(true);
        }

        if (bridge.Username is { } user)
        {
            options.WithCredentials(user, bridge.Password);
        }

        if (bridge.Tls.Enabled)
        {
            options.WithTlsOptions(tls =>
            {
                tls.UseTls();
                if (bridge.Tls.CaFile is { } ca)
                {
                    var authorities = new X509Certificate2Collection();
                    authorities.ImportFromPemFile(ca);
                    tls.WithTrustChain(authorities);
                }

                if (bridge.Tls.Certificate is { } certificate)
                {
                    tls.WithClientCertificates([X509Certificate2.CreateFromPemFile(certificate, bridge.Tls.PrivateKey)]);
                }
            });
        }

        return options.Build();
    }

    /// <summary>The remote subscriptions of the topics that come in; null when none do.</summary>
    public static MqttClientSubscribeOptions? SubscribeOptions(BridgeSettings bridge)
    {
        var builder = new MqttClientSubscribeOptionsBuilder();
        var any = false;
        foreach (var topic in bridge.Topics.Where(t => t.In))
        {
            // No Local: what the bridge publishes there does not come back [MQTT-3.8.3-3]; 3.1.1 has try_private instead.
            builder.WithTopicFilter(f => f
                .WithTopic(topic.RemoteFilter)
                .WithQualityOfServiceLevel((MqttQualityOfServiceLevel)topic.QoS)
                .WithNoLocal(bridge.Protocol == MqttProtocolVersion.V500)
                .WithRetainAsPublished(bridge.Protocol == MqttProtocolVersion.V500));
            any = true;
        }

        return any ? builder.Build() : null;
    }

    /// <summary>A message of this broker as it goes out, under its remote topic.</summary>
    public static MqttApplicationMessage ToRemote(PublishPacket publish, string topic)
    {
        var message = new MqttApplicationMessage
        {
            Topic = topic,
            PayloadSegment = publish.Payload.ToArray(),
            QualityOfServiceLevel = (MqttQualityOfServiceLevel)publish.QoS,
            Retain = publish.Retain,
        };
        if (publish.Properties is { } p)
        {
            message.ContentType = p.ContentType;
            message.ResponseTopic = p.ResponseTopic;
            message.CorrelationData = p.CorrelationData?.ToArray();
            message.MessageExpiryInterval = p.MessageExpiryInterval ?? 0;
            message.PayloadFormatIndicator = (MqttPayloadFormatIndicator)(p.PayloadFormatIndicator ?? PayloadFormat.Unspecified);
            message.UserProperties = p.UserProperties.Count == 0 ? null : [.. p.UserProperties.Select(u => new RemoteUserProperty(u.Name, System.Text.Encoding.UTF8.GetBytes(u.Value).AsMemory()))];
        }

        return message;
    }

    /// <summary>A message from the remote broker as it enters this one, under its local topic.</summary>
    public static PublishPacket ToLocal(MqttApplicationMessage message, string topic)
    {
        var hasProperties = message.ContentType is not null || message.ResponseTopic is not null || message.CorrelationData is not null
            || message.MessageExpiryInterval > 0 || message.PayloadFormatIndicator != MqttPayloadFormatIndicator.Unspecified
            || message.UserProperties is { Count: > 0 };
        return new PublishPacket
        {
            Topic = topic,
            Payload = message.Payload.ToArray(),
            QoS = (QualityOfService)message.QualityOfServiceLevel,
            Retain = message.Retain,
            Properties = !hasProperties ? null : new MqttProperties
            {
                ContentType = message.ContentType,
                ResponseTopic = message.ResponseTopic,
                CorrelationData = message.CorrelationData,
                MessageExpiryInterval = message.MessageExpiryInterval > 0 ? message.MessageExpiryInterval : null,
                PayloadFormatIndicator = message.PayloadFormatIndicator == MqttPayloadFormatIndicator.CharacterData ? PayloadFormat.Utf8 : null,
                UserProperties = message.UserProperties?.Select(u => new MqttUserProperty(u.Name, u.ReadValueAsString())).ToList() ?? [],
            },
        };
    }
}
