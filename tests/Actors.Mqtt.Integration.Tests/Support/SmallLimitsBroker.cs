namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>A broker of its own with limits small enough for a test to cross them with a few bytes.</summary>
public sealed class SmallLimitsBroker : IAsyncLifetime
{
    public const int MaxPacketSize = 512;
    public const int ReceiveMaximum = 2;

    public BrokerFixture Broker { get; } = new()
    {
        Overrides =
        [
            $"actors-mqtt.limits.max-packet-size={MaxPacketSize}",
            $"actors-mqtt.limits.receive-maximum={ReceiveMaximum}",
        ],
    };

    public int Port => Broker.Port;

    public Task InitializeAsync() => Broker.InitializeAsync();

    public Task DisposeAsync() => Broker.DisposeAsync();
}
