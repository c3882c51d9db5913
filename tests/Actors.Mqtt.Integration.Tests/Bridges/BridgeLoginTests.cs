using System.CommandLine;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Server.Commands;

namespace Actors.Mqtt.Integration.Tests.Bridges;

/// <summary>A bridge that a Mosquitto with a password file refuses, until the file has the bridge's user.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BridgeLoginTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("bridge-login-").FullName;
    private MosquittoServer mosquitto = null!;
    private BrokerFixture? broker;

    private string Passwords => Path.Combine(folder, "passwd");

    public async Task InitializeAsync()
    {
        // Run as root, Mosquitto drops to its own user, which must read the folder and the file.
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        await AddUserAsync("someone-else", "pw");
        mosquitto = await MosquittoServer.StartAsync(passwordFile: Passwords);
    }

    public async Task DisposeAsync()
    {
        if (broker is not null)
        {
            await broker.DisposeAsync();
        }

        await mosquitto.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task A_bridge_the_remote_refuses_tries_again_and_gets_in_once_the_remote_knows_its_user()
    {
        var clientId = "bridge-" + Guid.NewGuid().ToString("N")[..8];
        var config = Path.Combine(folder, "broker.conf");
        await File.WriteAllTextAsync(config, $$"""
            actors-mqtt.bridges.login {
              address = "127.0.0.1:{{mosquitto.Port}}"
              client-id = "{{clientId}}"
              username = bridge
              password = "bridge-pw"
              restart-timeout-base = 100ms
              restart-timeout-cap = 500ms
              topics = [ { pattern = "a/#", direction = out, qos = 1 } ]
            }
            """);
        broker = new BrokerFixture { ConfigFile = config };
        await broker.InitializeAsync();
        await mosquitto.WaitForLogAsync("Sending CONNACK to 127.0.0.1 (0, 5)");

        await AddUserAsync("bridge", "bridge-pw");
        var logged = mosquitto.Log.Length;
        await mosquitto.StopAsync();
        await mosquitto.StartAgainAsync();
        await mosquitto.WaitForLogAsync("as " + clientId, logged);
    }

    private async Task AddUserAsync(string user, string password)
    {
        Assert.Equal(0, await new RootCommand { PasswdCommand.Create() }.Parse(["passwd", Passwords, user, "--password", password]).InvokeAsync());
        File.SetUnixFileMode(Passwords, (UnixFileMode)0b110_100_100);
    }
}
