using System.Diagnostics;
using Actors.Mqtt.Integration.Tests.Support;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>Mosquitto's own command-line clients (Debian <c>mosquitto-clients</c>) against the broker, in each protocol version.</summary>
public class MosquittoClientTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    [Theory]
    [InlineData("mqttv31", "0")]
    [InlineData("mqttv311", "1")]
    [InlineData("mqttv5", "2")]
    [Trait("spec", "MQTT-4.3.1-1")]
    public async Task A_message_from_mosquitto_pub_reaches_mosquitto_sub(string version, string qos)
    {
        var topic = $"mosquitto/{version}/{Guid.NewGuid():N}";
        var payload = $"hello from mosquitto_pub {version}";
        var port = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // mosquitto_sub's output is buffered in a pipe, so the test cannot see when it subscribed: the message is
        // published again until the subscriber got one (-C 1) and exited; -W 10 ends it in any case.
        using var sub = Start("mosquitto_sub", ["-h", "127.0.0.1", "-p", port, "-V", version, "-i", ShortId("sub"), "-q", qos, "-t", topic, "-C", "1", "-W", "10"]);
        try
        {
            var output = sub.StandardOutput.ReadToEndAsync();
            var errors = sub.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            while (!sub.HasExited)
            {
                using var pub = Start("mosquitto_pub", ["-h", "127.0.0.1", "-p", port, "-V", version, "-i", ShortId("pub"), "-q", qos, "-t", topic, "-m", payload]);
                await pub.WaitForExitAsync(deadline.Token);
                Assert.True(pub.ExitCode == 0, $"mosquitto_pub exited with {pub.ExitCode}: {await pub.StandardError.ReadToEndAsync()}");
                await Task.WhenAny(sub.WaitForExitAsync(deadline.Token), Task.Delay(300, deadline.Token));
            }

            await sub.WaitForExitAsync(deadline.Token);
            Assert.True(sub.ExitCode == 0, $"mosquitto_sub exited with {sub.ExitCode}: {await output} {await errors}");
            Assert.Equal(payload, (await output).TrimEnd('\n'));
        }
        finally
        {
            if (!sub.HasExited)
            {
                sub.Kill();
            }
        }
    }

    /// <summary>3.1 limits client ids to 23 characters.</summary>
    private static string ShortId(string role) => $"m-{role}-{Guid.NewGuid():N}"[..20];

    private static Process Start(string program, string[] arguments)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("could not start " + program);
    }
}
