using System.Diagnostics;

namespace Actors.Mqtt.Broker.Tests.Security;

/// <summary>Runs the real <c>mosquitto_passwd</c> (Debian package mosquitto, installed by build.ps1's test target).</summary>
internal static class MosquittoPasswd
{
    public static void Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("mosquitto_passwd") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"mosquitto_passwd {string.Join(' ', arguments)} failed: {error}");
    }
}
