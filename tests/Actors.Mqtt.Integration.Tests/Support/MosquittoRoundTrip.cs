namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>One message from mosquitto_pub to mosquitto_sub through the broker.</summary>
public static class MosquittoRoundTrip
{
    /// <summary>
    /// Starts mosquitto_sub (which must exit after one message: <c>-C 1 -W 10</c>) and publishes with mosquitto_pub
    /// until it did; returns what the subscriber printed.
    /// </summary>
    /// <remarks>mosquitto_sub's output is buffered in a pipe, so the test cannot see when it subscribed: the message
    /// is published again until the subscriber got one and exited.</remarks>
    public static async Task<(string Output, string Errors)> RunAsync(string[] subArguments, string[] pubArguments)
    {
        using var sub = Tools.Start("mosquitto_sub", subArguments);
        try
        {
            var output = sub.StandardOutput.ReadToEndAsync();
            var errors = sub.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!sub.HasExited)
            {
                using var pub = Tools.Start("mosquitto_pub", pubArguments);
                await pub.WaitForExitAsync(deadline.Token);
                Assert.True(pub.ExitCode == 0, $"mosquitto_pub exited with {pub.ExitCode}: {await pub.StandardError.ReadToEndAsync()}");
                await Task.WhenAny(sub.WaitForExitAsync(deadline.Token), Task.Delay(300, deadline.Token));
            }

            await sub.WaitForExitAsync(deadline.Token);
            return (await output, await errors);
        }
        finally
        {
            if (!sub.HasExited)
            {
                sub.Kill();
            }
        }
    }
}
