namespace Actors.Mqtt.Broker.Security;

/// <summary>Topics the broker writes and clients only read: <c>$SYS</c> and below, as in Mosquitto.</summary>
public static class BrokerTopics
{
    public static bool IsBrokerOwned(string topic) =>
        topic.StartsWith("$SYS", StringComparison.Ordinal) && (topic.Length == 4 || topic[4] == '/');
}
