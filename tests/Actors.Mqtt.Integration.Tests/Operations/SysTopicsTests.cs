using System.Diagnostics;
using System.Net;
using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using V = Actors.Mqtt.Protocol.MqttProtocolVersion;

namespace Actors.Mqtt.Integration.Tests.Operations;

/// <summary>
/// The broker publishes what it knows about itself under <c>$SYS/broker/</c> with Mosquitto's names, retained, every
/// <c>actors-mqtt.sys-interval</c>. A broker process of its own, since the totals are the whole process's.
/// </summary>
public sealed class SysTopicsTests
{
    private static readonly string[] Topics =
    [
        "version", "uptime",
        "clients/connected", "clients/disconnected", "clients/total", "clients/maximum", "clients/expired",
        "messages/received", "messages/sent",
        "publish/messages/received", "publish/messages/sent", "publish/messages/dropped",
        "bytes/received", "bytes/sent",
        "retained messages/count", "subscriptions/count",
        .. new[] { "messages/received", "messages/sent", "bytes/received", "bytes/sent", "connections", "publish/dropped" }
            .SelectMany(load => new[] { "1min", "5min", "15min" }.Select(window => $"load/{load}/{window}")),
    ];

    [Fact]
    public async Task Mosquitto_sub_receives_every_SYS_topic_and_the_values_follow_a_workload()
    {
        var directory = Directory.CreateTempSubdirectory("actors-mqtt-sys-").FullName;
        try
        {
            await using var broker = new BrokerProcess(directory, "actors-mqtt.persistence.store=memory", "actors-mqtt.sys-interval=1s");
            await broker.StartAsync();

            var received = await MosquittoSubAsync(broker.EndPoint, Topics.Length);
            Assert.Equal(Topics.Select(t => "$SYS/broker/" + t).Order(), received.Keys.Order());
            Assert.StartsWith("actors-mqtt version ", received["$SYS/broker/version"], StringComparison.Ordinal);
            Assert.Matches("^[0-9]+ seconds$", received["$SYS/broker/uptime"]);

            // A durable session with two subscriptions left offline; one connected subscriber; five QoS 1 messages and
            // one retained; one PUBLISH to $SYS, refused and so dropped.
            var offline = "sys-off-" + Guid.NewGuid().ToString("N")[..8];
            var (durable, _) = await ConnectAsync(broker.EndPoint, offline, expiry: 600);
            await SubscribeAsync(durable, "sys-test/a", "sys-test/b");
            await durable.SendAsync(new DisconnectPacket());
            await durable.ExpectClosedAsync();
            await durable.DisposeAsync();

            await using var watcher = (await ConnectAsync(broker.EndPoint, "sys-watch-" + Guid.NewGuid().ToString("N")[..8])).Client;
            await SubscribeAsync(watcher, "$SYS/broker/clients/+", "$SYS/broker/publish/messages/received", "$SYS/broker/publish/messages/dropped", "$SYS/broker/subscriptions/count", "$SYS/broker/retained messages/count");
            await using var live = (await ConnectAsync(broker.EndPoint, "sys-live-" + Guid.NewGuid().ToString("N")[..8])).Client;
            await SubscribeAsync(live, "sys-test/#");
            var (publisher, _) = await ConnectAsync(broker.EndPoint, "sys-pub-" + Guid.NewGuid().ToString("N")[..8]);
            await using (publisher)
            {
                for (ushort id = 1; id <= 5; id++)
                {
                    await publisher.SendAsync(new PublishPacket { Topic = "sys-test/x", Payload = "m"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = id, Retain = id == 5 });
                    await publisher.ReceiveAsync<PubAckPacket>();
                }

                await publisher.SendAsync(new PublishPacket { Topic = "$SYS/broker/uptime", Payload = "0"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 6 });
                Assert.Equal(ReasonCode.NotAuthorized, (await publisher.ReceiveAsync<PubAckPacket>()).ReasonCode);
            }

            // Connected: the watcher and the live subscriber; at most three at once (with the publisher); the offline
            // session; 2 + 5 + 1 subscriptions; the broker's own topics retained beside the one message.
            var expected = new Dictionary<string, string>
            {
                ["clients/connected"] = "2",
                ["clients/disconnected"] = "1",
                ["clients/total"] = "3",
                ["clients/maximum"] = "3",
                ["publish/messages/received"] = "6",
                ["publish/messages/dropped"] = "1",
                ["subscriptions/count"] = "8",
                ["retained messages/count"] = (Topics.Length + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            var latest = new Dictionary<string, string>();
            var deadline = Stopwatch.StartNew();
            while (!expected.All(e => latest.GetValueOrDefault(e.Key) == e.Value) && deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                var publish = await watcher.ReceiveAsync<PublishPacket>(TimeSpan.FromSeconds(20));
                latest[publish.Topic["$SYS/broker/".Length..]] = Encoding.UTF8.GetString(publish.Payload.Span);
            }

            Assert.Equal(expected.OrderBy(e => e.Key), expected.Keys.Order().Select(k => KeyValuePair.Create(k, latest.GetValueOrDefault(k) ?? "(none)")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Runs <c>mosquitto_sub -t '$SYS/#' -v</c> until it has <paramref name="count"/> messages, and returns the
    /// last value of each topic.</summary>
    private static async Task<Dictionary<string, string>> MosquittoSubAsync(IPEndPoint broker, int count)
    {
        var info = new ProcessStartInfo("mosquitto_sub")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "$SYS/#", "-v", "-C", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-W", "20" })
        {
            info.ArgumentList.Add(argument);
        }

        using var sub = Process.Start(info) ?? throw new InvalidOperationException("could not start mosquitto_sub");
        var output = sub.StandardOutput.ReadToEndAsync();
        var errors = sub.StandardError.ReadToEndAsync();
        await sub.WaitForExitAsync();
        Assert.True(sub.ExitCode == 0, $"mosquitto_sub exited with {sub.ExitCode}: {await output} {await errors}");

        // "-v" prints the topic, a space and the payload; "retained messages/count" has a space of its own.
        var values = new Dictionary<string, string>();
        foreach (var line in (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var topic = Topics.Select(t => "$SYS/broker/" + t).Where(t => line.StartsWith(t + " ", StringComparison.Ordinal)).MaxBy(t => t.Length)
                ?? line[..line.IndexOf(' ', StringComparison.Ordinal)];
            values[topic] = line[(topic.Length + 1)..];
        }

        return values;
    }

    private static Task<(RawClient Client, ConnAckPacket ConnAck)> ConnectAsync(IPEndPoint broker, string clientId, uint? expiry = null) =>
        RawClient.ConnectAsync(broker, new ConnectPacket
        {
            ProtocolVersion = V.V500,
            ClientId = clientId,
            CleanSession = true,
            Properties = expiry is { } e ? new MqttProperties { SessionExpiryInterval = e } : null,
        });

    private static async Task SubscribeAsync(RawClient client, params string[] filters)
    {
        await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = filters.Select(f => new MqttSubscription(f) { MaximumQoS = QualityOfService.AtLeastOnce }).ToList() });
        await client.ReceiveAsync<SubAckPacket>();
    }
}
