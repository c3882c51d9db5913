using System.CommandLine;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Server.Commands;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests.Security;

/// <summary>Password and ACL files changed under a running broker; a connected client stays connected throughout.</summary>
public sealed class ReloadTests(SecuredBroker broker) : IClassFixture<SecuredBroker>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Changed_files_apply_to_a_connected_client_without_dropping_it_and_a_wrong_file_keeps_the_rules()
    {
        var system = broker.Broker.Services.GetRequiredService<ActorSystem>();
        var reloads = Inbox.Create(system);
        system.EventStream.Subscribe(reloads.Receiver, typeof(SecurityFileReloaded));
        await using var alice = await TestClient.ConnectAsync(broker.Broker, MqttProtocolVersion.V500, configure: o => o.WithCredentials("alice", "alice-pw"));
        // Accepted; nobody subscribed to it.
        Assert.Equal(MqttClientPublishReasonCode.NoMatchingSubscribers, (await alice.PublishAsync("alice/x", "1", MqttQualityOfServiceLevel.AtLeastOnce)).ReasonCode);

        // The ACL loses alice's own subtree: her next PUBLISH there is refused, on the same connection.
        await File.WriteAllTextAsync(broker.AclFile, SecuredBroker.Acl.Replace("topic readwrite alice/#", "topic read alice/#", StringComparison.Ordinal));
        await NextReloadAsync(reloads, broker.AclFile, ok: true);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, (await alice.PublishAsync("alice/x", "2", MqttQualityOfServiceLevel.AtLeastOnce)).ReasonCode);

        // A wrong ACL is refused with the line at fault, and the rules before it stay.
        await File.WriteAllTextAsync(broker.AclFile, "topic readwrite alice/#\nwhatever\n");
        Assert.Contains(":2:", await NextReloadAsync(reloads, broker.AclFile, ok: false), StringComparison.Ordinal);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, (await alice.PublishAsync("alice/x", "3", MqttQualityOfServiceLevel.AtLeastOnce)).ReasonCode);

        // The passwd command changes alice's password: new connections need the new one, the old connection stays.
        Assert.Equal(0, await new RootCommand { PasswdCommand.Create() }.Parse(["passwd", broker.PasswordFile, "alice", "--password", "new-pw"]).InvokeAsync());
        await NextReloadAsync(reloads, broker.PasswordFile, ok: true);
        await using (var stale = await TestClient.ConnectAsync(broker.Broker, MqttProtocolVersion.V500, configure: o => o.WithCredentials("alice", "alice-pw")))
        {
            Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, stale.ConnectResult.ResultCode);
        }

        await using (var renewed = await TestClient.ConnectAsync(broker.Broker, MqttProtocolVersion.V500, configure: o => o.WithCredentials("alice", "new-pw")))
        {
            Assert.Equal(MqttClientConnectResultCode.Success, renewed.ConnectResult.ResultCode);
        }

        Assert.True(alice.Client.IsConnected);
        Assert.False(alice.Disconnected.IsCompleted);
    }

    /// <summary>
    /// The problem of the next reload of <paramref name="file"/> that came out as expected (null when it loaded). One
    /// change on disk can be seen as more than one event; each reload reads what the file holds then.
    /// </summary>
    internal static async Task<string?> NextReloadAsync(Inbox reloads, string file, bool ok)
    {
        using var deadline = new CancellationTokenSource(Generous);
        while (true)
        {
            var reloaded = (SecurityFileReloaded)await reloads.ReceiveAsync(Generous);
            if (reloaded.File == file && (reloaded.Problem is null) == ok)
            {
                return reloaded.Problem;
            }

            deadline.Token.ThrowIfCancellationRequested();
        }
    }
}
