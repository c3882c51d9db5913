using System.Diagnostics;
using System.Globalization;
using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Integration.Tests.Security;

/// <summary>CONNECT against a password file made by the real mosquitto_passwd, on a listener closed to anonymous clients.</summary>
public sealed class AuthenticationTests(SecuredBroker broker) : IClassFixture<SecuredBroker>
{
    [Theory]
    [InlineData("mqttv311", "alice", "alice-pw", 0)]
    [InlineData("mqttv5", "bob", "bob-pw", 0)]
    [InlineData("mqttv311", "alice", "wrong", 4)]
    [InlineData("mqttv5", "alice", "wrong", 134)]
    [InlineData("mqttv311", "nobody", "alice-pw", 4)]
    [Trait("spec", "MQTT-3.1.4-2")]
    public async Task Mosquitto_pub_connects_with_a_mosquitto_passwd_user_and_is_refused_with_a_wrong_password(string version, string user, string password, int exitCode)
    {
        var (code, errors) = await MosquittoPubAsync(version, user, password, $"{user}/x");

        Assert.True(code == exitCode, $"mosquitto_pub exited with {code}, expected {exitCode}: {errors}");
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, "alice", "wrong", ReasonCode.BadUserNameOrPassword)]
    [InlineData(MqttProtocolVersion.V500, "alice", "wrong", ReasonCode.BadUserNameOrPassword)]
    [InlineData(MqttProtocolVersion.V310, "bob", "alice-pw", ReasonCode.BadUserNameOrPassword)]
    [InlineData(MqttProtocolVersion.V311, "nobody", "x", ReasonCode.BadUserNameOrPassword)]
    [InlineData(MqttProtocolVersion.V500, "alice", null, ReasonCode.BadUserNameOrPassword)]
    [InlineData(MqttProtocolVersion.V311, null, null, ReasonCode.NotAuthorized)]
    [InlineData(MqttProtocolVersion.V500, null, null, ReasonCode.NotAuthorized)]
    [Trait("spec", "MQTT-3.1.4-2")]
    [Trait("spec", "MQTT-3.2.2-7")]
    public async Task A_refused_CONNECT_gets_its_CONNACK_code_and_the_connection_is_closed(MqttProtocolVersion version, string? user, string? password, ReasonCode expected)
    {
        var (client, connAck) = await RawClient.ConnectAsync(broker.Broker.EndPoint, new ConnectPacket
        {
            ProtocolVersion = version,
            ClientId = "refused-" + Guid.NewGuid().ToString("N")[..8],
            UserName = user,
            Password = password is null ? (ReadOnlyMemory<byte>?)null : Encoding.UTF8.GetBytes(password),
        });
        await using (client)
        {
            // On the wire 3.1.1 carries 4 (bad user name or password) and 5 (not authorized), 5.0 0x86 and 0x87.
            Assert.Equal(expected, connAck.ReasonCode);
            await client.ExpectClosedAsync();
        }
    }

    [Fact]
    [Trait("spec", "MQTT-3.1.4-2")]
    public async Task A_correct_password_connects_in_every_version()
    {
        foreach (var version in new[] { MqttProtocolVersion.V310, MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
        {
            var (client, connAck) = await RawClient.ConnectAsync(broker.Broker.EndPoint, new ConnectPacket
            {
                ProtocolVersion = version,
                ClientId = "ok-" + Guid.NewGuid().ToString("N")[..8],
                UserName = "carol",
                Password = "carol-pw"u8.ToArray(),
            });
            await using (client)
            {
                Assert.Equal(ReasonCode.Success, connAck.ReasonCode);
            }
        }
    }

    private async Task<(int ExitCode, string Errors)> MosquittoPubAsync(string version, string user, string password, string topic)
    {
        var start = new ProcessStartInfo("mosquitto_pub") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", broker.Port.ToString(CultureInfo.InvariantCulture), "-V", version, "-u", user, "-P", password, "-t", topic, "-m", "hello", "-q", "1" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await errors);
    }
}
