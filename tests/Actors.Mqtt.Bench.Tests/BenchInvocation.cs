using System.CommandLine;

namespace Actors.Mqtt.Bench.Tests;

/// <summary>Runs the tool's real command line in this process and keeps what it printed.</summary>
internal static class BenchInvocation
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await BenchCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }
}
