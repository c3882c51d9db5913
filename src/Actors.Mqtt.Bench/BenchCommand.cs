using System.CommandLine;
using System.Globalization;
using Actors.Mqtt.Bench.Reporting;
using Actors.Mqtt.Bench.Scenarios;

namespace Actors.Mqtt.Bench;

/// <summary>The command line of actors-mqtt-bench. Exit codes: 0 all scenarios ok, 1 one failed, 2 refused or bad arguments.</summary>
public static class BenchCommand
{
    public const int Ok = 0;
    public const int ScenarioFailed = 1;
    public const int Refused = 2;

    public static RootCommand Create()
    {
        var host = new Option<string>("--host") { Description = "Broker host name or address", DefaultValueFactory = _ => "127.0.0.1", HelpName = "host" };
        var port = new Option<int>("--port", "-p") { Description = "Broker TCP port", DefaultValueFactory = _ => 1883, HelpName = "port" };
        var allowRemote = new Option<bool>("--allow-remote") { Description = "Allow a target that is not a loopback address (only a broker you are allowed to load)" };
        var brokerPid = new Option<int?>("--broker-pid") { Description = "Process id of the broker, for its CPU and memory from /proc (same machine only)", HelpName = "pid" };
        var label = new Option<string>("--label") { Description = "Name of the broker in the report", DefaultValueFactory = _ => "broker", HelpName = "name" };
        var scenarios = new Option<string[]>("--scenario", "-s")
        {
            Description = $"Scenario to run (repeatable; default {ScenarioCatalog.All})",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = true,
            HelpName = "name",
        };
        scenarios.AcceptOnlyFromAmong([ScenarioCatalog.All, .. ScenarioCatalog.Names]);
        var scale = new Option<double>("--scale") { Description = "Multiplies every message and connection count (0.01 for a smoke run)", DefaultValueFactory = _ => 1.0, HelpName = "factor" };
        var timeLimit = new Option<int>("--time-limit") { Description = "Seconds after which a scenario stops, whatever its counts", DefaultValueFactory = _ => 60, HelpName = "seconds" };
        var payloadSize = new Option<int>("--payload-size") { Description = "PUBLISH payload bytes", DefaultValueFactory = _ => 64, HelpName = "bytes" };
        var rate = new Option<int>("--rate") { Description = "Total messages per second of the point-to-point scenario", DefaultValueFactory = _ => 2_000, HelpName = "msg/s" };
        var idleLimit = new Option<int>("--idle-limit") { Description = "Seconds with nothing arriving after which a scenario stops waiting for lost messages", DefaultValueFactory = _ => 3, HelpName = "seconds" };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file", HelpName = "file" };
        var noProgress = new Option<bool>("--no-progress") { Description = "No progress line while a scenario runs" };

        scale.Validators.Add(r => { if (r.GetValueOrDefault<double>() is not (> 0 and <= 100)) { r.AddError("--scale must be above 0 and at most 100"); } });
        timeLimit.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 3600) { r.AddError("--time-limit must be 1-3600 seconds"); } });
        payloadSize.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < Clients.Payload.HeaderSize or > 65536) { r.AddError($"--payload-size must be {Clients.Payload.HeaderSize}-65536 bytes"); } });
        idleLimit.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 600) { r.AddError("--idle-limit must be 1-600 seconds"); } });
        rate.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 1_000_000) { r.AddError("--rate must be 1-1000000 msg/s"); } });

        var root = new RootCommand("actors-mqtt-bench: load scenarios against an MQTT broker at host:port, with CPU and memory of the broker from /proc when --broker-pid is given")
        {
            host, port, allowRemote, brokerPid, label, scenarios, scale, timeLimit, payloadSize, rate, idleLimit, json, noProgress,
        };
        root.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var (target, refusal) = await TargetGuard.ResolveAsync(parse.GetRequiredValue(host), parse.GetValue(port), parse.GetValue(allowRemote), cancellationToken);
            if (target is null)
            {
                await error.WriteLineAsync($"actors-mqtt-bench: {refusal}");
                return Refused;
            }

            var pid = parse.GetValue(brokerPid);
            if (pid is { } p && !new Measurement.ProcessProbe(p).IsReadable)
            {
                await error.WriteLineAsync($"actors-mqtt-bench: cannot read /proc/{p}/stat: is --broker-pid the broker's process id on this machine?");
                return Refused;
            }

            var settings = new BenchSettings(
                target,
                pid,
                parse.GetRequiredValue(label),
                parse.GetValue(scale),
                TimeSpan.FromSeconds(parse.GetValue(timeLimit)),
                parse.GetValue(payloadSize),
                parse.GetValue(rate),
                TimeSpan.FromSeconds(parse.GetValue(idleLimit)));
            var started = DateTimeOffset.UtcNow;
            var inPlace = !parse.GetValue(noProgress) && ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;
            var progress = parse.GetValue(noProgress) ? TextWriter.Null : error;
            var results = await BenchRunner.RunAsync(settings, ScenarioCatalog.Select(parse.GetValue(scenarios) ?? []), output, progress, inPlace, cancellationToken);

            if (parse.GetValue(json) is { } file)
            {
                var report = new JsonReport(
                    "actors-mqtt-bench",
                    typeof(BenchCommand).Assembly.GetName().Version?.ToString() ?? "unknown",
                    settings.Label,
                    target.ToString(),
                    pid,
                    settings.Scale,
                    started,
                    Environment.ProcessorCount,
                    results);
                await File.WriteAllTextAsync(file.FullName, report.ToJson(), cancellationToken);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"results written to {file.FullName}"));
            }

            return results.All(r => r.Ok) ? Ok : ScenarioFailed;
        });
        return root;
    }
}
