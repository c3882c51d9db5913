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
        var port = new Option<int[]>("--port", "-p")
        {
            Description = "Broker TCP port; for the nodes of a cluster, one per node (repeat --port): publishers go to one node and their subscribers to the next",
            DefaultValueFactory = _ => [1883],
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
            HelpName = "port",
        };
        var allowRemote = new Option<bool>("--allow-remote") { Description = "Allow a target that is not a loopback address (only a broker you are allowed to load)" };
        var brokerPid = new Option<int[]>("--broker-pid")
        {
            Description = "Process id of the broker, for its CPU and memory from /proc (same machine only); one per node of a cluster (repeat it), summed",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = true,
            HelpName = "pid",
        };
        var killPid = new Option<int?>("--kill-pid") { Description = $"Process id of the node at the first --port, which {ScenarioCatalog.ClusterFailover} kills with SIGKILL (this machine only)", HelpName = "pid" };
        var label = new Option<string>("--label") { Description = "Name of the broker in the report", DefaultValueFactory = _ => "broker", HelpName = "name" };
        var scenarios = new Option<string[]>("--scenario", "-s")
        {
            Description = $"Scenario to run (repeatable; default {ScenarioCatalog.All}, which leaves out {ScenarioCatalog.ClusterFailover}, which needs three nodes and --kill-pid, and {ScenarioCatalog.PersistentFleet}, which needs a broker restart between its two phases)",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = true,
            HelpName = "name",
        };
        scenarios.AcceptOnlyFromAmong([ScenarioCatalog.All, .. ScenarioCatalog.Names, ScenarioCatalog.ClusterFailover, ScenarioCatalog.PersistentFleet]);
        var scale = new Option<double>("--scale") { Description = "Multiplies every message and connection count (0.01 for a smoke run)", DefaultValueFactory = _ => 1.0, HelpName = "factor" };
        var timeLimit = new Option<int>("--time-limit") { Description = "Seconds after which a scenario stops, whatever its counts", DefaultValueFactory = _ => 60, HelpName = "seconds" };
        var payloadSize = new Option<int>("--payload-size") { Description = "PUBLISH payload bytes", DefaultValueFactory = _ => 64, HelpName = "bytes" };
        var rate = new Option<int>("--rate") { Description = "Total messages per second of the point-to-point scenario", DefaultValueFactory = _ => 2_000, HelpName = "msg/s" };
        var idleLimit = new Option<int>("--idle-limit") { Description = "Seconds with nothing arriving after which a scenario stops waiting for lost messages", DefaultValueFactory = _ => 3, HelpName = "seconds" };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file", HelpName = "file" };
        var noProgress = new Option<bool>("--no-progress") { Description = "No progress line while a scenario runs" };
        var fleetPhase = new Option<FleetPhase>("--fleet-phase")
        {
            Description = $"{ScenarioCatalog.PersistentFleet}: create (sessions subscribed, then one QoS 1 message queued for each) or reconnect (every device back at once, after a broker restart)",
            DefaultValueFactory = _ => FleetPhase.Create,
            HelpName = "create|reconnect",
        };
        var fleetId = new Option<string>("--fleet-id")
        {
            Description = $"{ScenarioCatalog.PersistentFleet}: prefix of the devices' client ids (<id>-<n>) and topics (<id>/<n>/cmd); the same in both phases",
            DefaultValueFactory = _ => "fleet",
            HelpName = "text",
        };
        var fleetReconnect = new Option<int?>("--fleet-reconnect")
        {
            Description = $"{ScenarioCatalog.PersistentFleet}: how many devices the reconnect phase brings back, the first ones (default: all); for a fleet larger than the sockets one process may open",
            HelpName = "devices",
        };

        scale.Validators.Add(r => { if (r.GetValueOrDefault<double>() is not (> 0 and <= 100)) { r.AddError("--scale must be above 0 and at most 100"); } });
        timeLimit.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 3600) { r.AddError("--time-limit must be 1-3600 seconds"); } });
        payloadSize.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < Clients.Payload.HeaderSize or > 65536) { r.AddError($"--payload-size must be {Clients.Payload.HeaderSize}-65536 bytes"); } });
        idleLimit.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 600) { r.AddError("--idle-limit must be 1-600 seconds"); } });
        rate.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 1_000_000) { r.AddError("--rate must be 1-1000000 msg/s"); } });

        fleetReconnect.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 1) { r.AddError("--fleet-reconnect must be at least 1"); } });

        // With "-" and up to six digits a device's client id stays within the 23 characters every MQTT 3.1.1 server accepts.
        fleetId.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is not { Length: >= 1 and <= 16 } id || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                r.AddError("--fleet-id must be 1-16 characters among letters, digits, '-' and '_'");
            }
        });

        var root = new RootCommand("actors-mqtt-bench: load scenarios against an MQTT broker at host:port, with CPU and memory of the broker from /proc when --broker-pid is given")
        {
            host, port, allowRemote, brokerPid, killPid, label, scenarios, scale, timeLimit, payloadSize, rate, idleLimit, json, noProgress, fleetPhase, fleetId, fleetReconnect,
        };
        root.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var targets = new List<System.Net.IPEndPoint>();
            foreach (var p in parse.GetValue(port) ?? [])
            {
                var (target, refusal) = await TargetGuard.ResolveAsync(parse.GetRequiredValue(host), p, parse.GetValue(allowRemote), cancellationToken);
                if (target is null)
                {
                    await error.WriteLineAsync($"actors-mqtt-bench: {refusal}");
                    return Refused;
                }

                targets.Add(target);
            }

            var pids = parse.GetValue(brokerPid) ?? [];
            foreach (var p in pids.Where(p => !new Measurement.ProcessProbe(p).IsReadable))
            {
                await error.WriteLineAsync($"actors-mqtt-bench: cannot read /proc/{p}/stat: is --broker-pid the broker's process id on this machine?");
                return Refused;
            }

            var selected = ScenarioCatalog.Select(parse.GetValue(scenarios) ?? []);
            if (await CheckFailoverAsync(selected, targets, parse.GetValue(killPid), parse.GetValue(allowRemote), error) is { } refused)
            {
                return refused;
            }

            var settings = new BenchSettings(
                targets,
                pids,
                parse.GetRequiredValue(label),
                parse.GetValue(scale),
                TimeSpan.FromSeconds(parse.GetValue(timeLimit)),
                parse.GetValue(payloadSize),
                parse.GetValue(rate),
                TimeSpan.FromSeconds(parse.GetValue(idleLimit)),
                parse.GetValue(killPid),
                parse.GetValue(fleetPhase),
                parse.GetRequiredValue(fleetId),
                parse.GetValue(fleetReconnect));
            var started = DateTimeOffset.UtcNow;
            var inPlace = !parse.GetValue(noProgress) && ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;
            var progress = parse.GetValue(noProgress) ? TextWriter.Null : error;
            var results = await BenchRunner.RunAsync(settings, selected, output, progress, inPlace, cancellationToken);

            if (parse.GetValue(json) is { } file)
            {
                var report = new JsonReport(
                    "actors-mqtt-bench",
                    typeof(BenchCommand).Assembly.GetName().Version?.ToString() ?? "unknown",
                    settings.Label,
                    string.Join(",", targets),
                    pids.Length > 0 ? pids[0] : null,
                    settings.Scale,
                    started,
                    Environment.ProcessorCount,
                    results)
                {
                    BrokerPids = pids.Length > 1 ? pids : null,
                };
                await File.WriteAllTextAsync(file.FullName, report.ToJson(), cancellationToken);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"results written to {file.FullName}"));
            }

            return results.All(r => r.Ok) ? Ok : ScenarioFailed;
        });
        return root;
    }

    /// <summary>
    /// The failover scenario kills a process: only with three nodes or more, and only the node at the first --port, on
    /// this machine. Returns <see cref="Refused"/> after saying why, or null when the run may go on.
    /// </summary>
    private static async Task<int?> CheckFailoverAsync(IReadOnlyList<IScenario> selected, List<System.Net.IPEndPoint> targets, int? killPid, bool allowRemote, TextWriter error)
    {
        var failover = selected.Any(s => s.Name == ScenarioCatalog.ClusterFailover);
        string? refusal = null;
        if (failover && targets.Count < 3)
        {
            refusal = $"{ScenarioCatalog.ClusterFailover} needs three nodes or more (one --port each): subscribers on the node it kills and on another, the publisher on a third";
        }
        else if (killPid is { } pid)
        {
            refusal = allowRemote
                ? "--kill-pid cannot go with --allow-remote: the tool only kills a node on this machine"
                : TargetGuard.CheckKillTarget(pid, targets[0].Port);
        }
        else if (failover)
        {
            refusal = $"{ScenarioCatalog.ClusterFailover} needs --kill-pid, the process id of the node at the first --port";
        }

        if (refusal is null)
        {
            return null;
        }

        await error.WriteLineAsync($"actors-mqtt-bench: {refusal}");
        return Refused;
    }
}
