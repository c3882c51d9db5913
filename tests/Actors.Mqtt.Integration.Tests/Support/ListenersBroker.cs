using System.Net;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// A broker with a listener of every kind on free loopback ports, two of some kinds, its TLS certificates made for the
/// run: <c>tcp</c>, <c>tls</c> (PEM), <c>tls-pfx</c>, <c>tls-mutual</c> (client certificates required, CN as user
/// name), <c>ws</c>, <c>ws-other</c> (path <c>/other</c>) and <c>wss</c>.
/// </summary>
public sealed class ListenersBroker : IAsyncLifetime
{
    public ListenersBroker()
    {
        var c = Certificates;
        Broker = new BrokerFixture
        {
            Overrides =
            [
                .. Listener("tls", null, $"certificate={c.ServerCertificateFile}", $"private-key={c.ServerKeyFile}"),
                .. Listener("tls-pfx", "tls", $"certificate={c.ServerPfxFile}", $"certificate-password={TestCertificates.PfxPassword}"),
                .. Listener(
                    "tls-mutual",
                    "tls",
                    $"certificate={c.ServerCertificateFile}",
                    $"private-key={c.ServerKeyFile}",
                    $"ca-file={c.CaFile}",
                    "require-client-certificate=true",
                    "use-identity-as-username=true"),
                .. Listener("ws", null),
                .. Listener("ws-other", "ws", "path=/other"),
                .. Listener("wss", null, $"certificate={c.ServerCertificateFile}", $"private-key={c.ServerKeyFile}"),
            ],
        };
    }

    public TestCertificates Certificates { get; } = new();

    public BrokerFixture Broker { get; }

    public IPEndPoint EndPointOf(string listener) => Broker.EndPointOf(listener);

    public int PortOf(string listener) => EndPointOf(listener).Port;

    public Task InitializeAsync() => Broker.InitializeAsync();

    public async Task DisposeAsync()
    {
        await Broker.DisposeAsync();
        Certificates.Dispose();
    }

    private static IEnumerable<string> Listener(string name, string? kind, params string[] settings)
    {
        var key = $"actors-mqtt.listeners.{name}";
        if (kind is not null)
        {
            yield return $"{key}.kind={kind}";
        }

        yield return $"{key}.host=127.0.0.1";
        yield return $"{key}.port=0";
        foreach (var setting in settings)
        {
            yield return $"{key}.{setting}";
        }
    }
}
