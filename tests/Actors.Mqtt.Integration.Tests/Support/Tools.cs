using System.Diagnostics;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>Runs the command-line programs tests use (mosquitto_pub, mosquitto_sub, the broker executable).</summary>
public static class Tools
{
    public static Process Start(string program, params IEnumerable<string> arguments)
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

    /// <summary>Runs a program to its end (killed after <paramref name="timeout"/>) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string program, TimeSpan timeout, params IEnumerable<string> arguments)
    {
        using var process = Start(program, arguments);
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not end within {timeout}: {await output} {await errors}");
        }

        return (process.ExitCode, await output, await errors);
    }
}
