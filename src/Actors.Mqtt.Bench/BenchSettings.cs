using System.Net;

namespace Actors.Mqtt.Bench;

/// <summary>What one run of the tool targets and how large its scenarios are.</summary>
/// <param name="Targets">The broker's addresses, already checked by <see cref="TargetGuard"/>: one for a single broker,
/// one per node for a cluster.</param>
/// <param name="BrokerPids">The broker's process ids (one per node), for CPU and memory from /proc, summed; empty when
/// not given.</param>
/// <param name="Label">Name of the broker in the report (e.g. actors-mqtt, mosquitto).</param>
/// <param name="Scale">Multiplies every scenario's message and connection counts (a smoke run uses a small one).</param>
/// <param name="TimeLimit">No scenario runs longer than this, whatever its counts.</param>
/// <param name="PayloadSize">Bytes of each PUBLISH payload (at least <see cref="Clients.Payload.HeaderSize"/>).</param>
/// <param name="Rate">Messages per second, all pairs together, of the point-to-point scenario.</param>
/// <param name="IdleLimit">How long nothing may arrive before a scenario stops waiting for the rest of its messages.</param>
/// <param name="KillPid">The process the failover scenario kills: the node at the first of <paramref name="Targets"/>.</param>
/// <param name="FleetPhase">What the persistent-fleet scenario does in this run.</param>
/// <param name="FleetId">The persistent-fleet scenario's client id and topic prefix: the same in both phases, so the
/// second finds the sessions of the first.</param>
/// <param name="FleetReconnect">How many of the fleet's devices the persistent-fleet reconnect phase brings back (the
/// first ones), or null for all: a fleet larger than the sockets one process may open is measured on part of it.</param>
public sealed record BenchSettings(
    IReadOnlyList<IPEndPoint> Targets,
    IReadOnlyList<int> BrokerPids,
    string Label,
    double Scale,
    TimeSpan TimeLimit,
    int PayloadSize,
    int Rate,
    TimeSpan IdleLimit,
    int? KillPid = null,
    Scenarios.FleetPhase FleetPhase = Scenarios.FleetPhase.Create,
    string FleetId = "fleet",
    int? FleetReconnect = null)
{
    /// <summary>The first address: every client's when there is only one.</summary>
    public IPEndPoint Target => Targets[0];

    /// <summary>
    /// Where publisher <paramref name="index"/> connects: the nodes in turn. With one address, that address.
    /// </summary>
    public IPEndPoint PublisherTarget(int index) => Targets[index % Targets.Count];

    /// <summary>
    /// Where the subscriber paired with publisher <paramref name="index"/> connects: the node after that publisher's, so
    /// with several nodes every delivery crosses from one node to another.
    /// </summary>
    public IPEndPoint SubscriberTarget(int index) => Targets[(index + 1) % Targets.Count];

    /// <summary><paramref name="count"/> times <see cref="Scale"/>, never below <paramref name="minimum"/>.</summary>
    public int Scaled(int count, int minimum = 1) => Math.Max(minimum, (int)Math.Round(count * Scale));
}
