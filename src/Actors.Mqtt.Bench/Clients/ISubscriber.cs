namespace Actors.Mqtt.Bench.Clients;

/// <summary>A subscribing connection of a scenario, counting what it receives (<see cref="Measurement.PayloadTally"/>).</summary>
public interface ISubscriber : IAsyncDisposable
{
    /// <summary>Every PUBLISH received, duplicates included.</summary>
    long Received { get; }

    /// <summary>Distinct messages received.</summary>
    long Distinct { get; }

    long Duplicates { get; }

    /// <summary>Messages whose publisher or sequence number no publisher of this scenario used.</summary>
    long Foreign { get; }

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp of the last message received (0 before the first).</summary>
    long LastReceivedTicks { get; }

    /// <summary>Why the connection ended before the scenario closed it, if it did.</summary>
    string? CloseReason { get; }

    /// <summary>Starts reading, once the publishers are connected; a client that reads from the start counts from then.</summary>
    void StartReading();
}

/// <summary>Which client library a scenario's subscribers are.</summary>
public enum SubscriberClient
{
    /// <summary>The bench's own: raw sockets and the broker's codec, reading as fast as the machine allows.</summary>
    Raw,

    /// <summary>MQTTnet, as an application would subscribe: it reads slower than the raw client.</summary>
    MqttNet,
}
