using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Actors.Mqtt.Server.Configuration;

namespace Actors.Mqtt.Server.Tests.Configuration;

/// <summary>The listener keys as the operator writes them, through the real loader, with certificate files on disk.</summary>
public sealed class ListenerSettingsTests : IDisposable
{
    private const string Tls = "actors-mqtt.listeners.tls";
    private readonly string _directory = Directory.CreateTempSubdirectory("actors-mqtt-listeners-").FullName;
    private readonly string _certificate;
    private readonly string _key;

    public ListenerSettingsTests()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _certificate = Path.Combine(_directory, "server.pem");
        _key = Path.Combine(_directory, "server.key");
        File.WriteAllText(_certificate, certificate.ExportCertificatePem());
        File.WriteAllText(_key, key.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void By_default_only_the_TCP_listener_is_on()
    {
        var listener = Assert.Single(Settings().Listeners);

        Assert.Equal(("tcp", ListenerKind.Tcp, 1883), (listener.Name, listener.Kind, listener.EndPoint.Port));
    }

    [Fact]
    public void An_empty_port_turns_a_listener_off()
    {
        var settings = Settings("actors-mqtt.listeners.tcp.port=null", "actors-mqtt.listeners.ws.port=8080");

        Assert.Equal("ws", Assert.Single(settings.Listeners).Name);
    }

    [Fact]
    public void Each_kind_is_on_once_it_has_a_port_and_named_listeners_add_more_of_a_kind()
    {
        var settings = Settings(
            $"{Tls}.port=8883",
            $"{Tls}.certificate={_certificate}",
            $"{Tls}.private-key={_key}",
            "actors-mqtt.listeners.ws.port=8080",
            "actors-mqtt.listeners.wss.port=8443",
            $"actors-mqtt.listeners.wss.certificate={_certificate}",
            $"actors-mqtt.listeners.wss.private-key={_key}",
            "actors-mqtt.listeners.internal-ws.kind=ws",
            "actors-mqtt.listeners.internal-ws.host=127.0.0.1",
            "actors-mqtt.listeners.internal-ws.port=9001",
            "actors-mqtt.listeners.internal-ws.path=/internal");

        var byName = settings.Listeners.ToDictionary(l => l.Name);

        Assert.Equal(["internal-ws", "tcp", "tls", "ws", "wss"], byName.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((ListenerKind.Tls, 8883), (byName["tls"].Kind, byName["tls"].EndPoint.Port));
        Assert.True(byName["tls"].Tls!.Certificate.HasPrivateKey);
        Assert.Equal((ListenerKind.Ws, "/mqtt"), (byName["ws"].Kind, byName["ws"].Path));
        Assert.Equal((ListenerKind.Wss, "/mqtt"), (byName["wss"].Kind, byName["wss"].Path));
        Assert.Equal("127.0.0.1:9001", byName["internal-ws"].EndPoint.ToString());
        Assert.Equal((ListenerKind.Ws, "/internal"), (byName["internal-ws"].Kind, byName["internal-ws"].Path));
    }

    [Fact]
    public void A_PEM_file_holding_certificate_and_key_needs_no_private_key_setting()
    {
        var both = Path.Combine(_directory, "both.pem");
        File.WriteAllText(both, File.ReadAllText(_certificate) + "\n" + File.ReadAllText(_key));

        var tls = Assert.Single(Settings($"{Tls}.port=8883", $"{Tls}.certificate={both}").Listeners, l => l.Kind == ListenerKind.Tls);

        Assert.True(tls.Tls!.Certificate.HasPrivateKey);
    }

    [Fact]
    public void A_missing_certificate_file_names_its_key()
    {
        var missing = Path.Combine(_directory, "absent.pem");

        var error = Assert.Throws<ConfigException>(() => Settings($"{Tls}.port=8883", $"{Tls}.certificate={missing}", $"{Tls}.private-key={_key}"));

        Assert.Equal($"{Tls}.certificate", error.Key ?? error.Origin);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_certificate_names_its_key()
    {
        var garbage = Path.Combine(_directory, "garbage.pem");
        File.WriteAllText(garbage, "this is not a certificate\n");

        var error = Assert.Throws<ConfigException>(() => Settings($"{Tls}.port=8883", $"{Tls}.certificate={garbage}", $"{Tls}.private-key={_key}"));

        Assert.Equal($"{Tls}.certificate", error.Key ?? error.Origin);
    }

    [Fact]
    public void A_certificate_without_its_key_names_the_private_key_setting()
    {
        var error = Assert.Throws<ConfigException>(() => Settings($"{Tls}.port=8883", $"{Tls}.certificate={_certificate}"));

        Assert.Contains($"{Tls}.private-key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_TLS_listener_without_a_certificate_names_the_key()
    {
        var error = Assert.Throws<ConfigException>(() => Settings("actors-mqtt.listeners.wss.port=8443"));

        Assert.Equal("actors-mqtt.listeners.wss.certificate", error.Key ?? error.Origin);
    }

    [Fact]
    public void A_missing_CA_file_names_its_key()
    {
        var error = Assert.Throws<ConfigException>(() => Settings(
            $"{Tls}.port=8883",
            $"{Tls}.certificate={_certificate}",
            $"{Tls}.private-key={_key}",
            $"{Tls}.ca-file={Path.Combine(_directory, "absent-ca.pem")}"));

        Assert.Equal($"{Tls}.ca-file", error.Key ?? error.Origin);
    }

    [Fact]
    public void Identity_as_user_name_without_a_required_client_certificate_is_refused()
    {
        var error = Assert.Throws<ConfigException>(() => Settings(
            $"{Tls}.port=8883",
            $"{Tls}.certificate={_certificate}",
            $"{Tls}.private-key={_key}",
            $"{Tls}.use-identity-as-username=true"));

        Assert.Equal($"{Tls}.use-identity-as-username", error.Key ?? error.Origin);
    }

    [Theory]
    [InlineData("actors-mqtt.listeners.extra.port=1884", "actors-mqtt.listeners.extra.kind")]
    [InlineData("actors-mqtt.listeners.ws.port=70000", "actors-mqtt.listeners.ws.port")]
    [InlineData("actors-mqtt.listeners.ws.host=example", "actors-mqtt.listeners.ws.host")]
    [InlineData("actors-mqtt.listeners.ws.path=mqtt", "actors-mqtt.listeners.ws.path")]
    [InlineData("actors-mqtt.listeners.tcp.kind=udp", "actors-mqtt.listeners.tcp.kind")]
    [InlineData("actors-mqtt.listeners.ws.port=1883", "actors-mqtt.listeners.ws.port")]
    public void A_wrong_listener_setting_names_its_key(string set, string key)
    {
        // With a port, so the WebSocket listener is on and its settings are read.
        var error = Assert.Throws<ConfigException>(() => Settings("actors-mqtt.listeners.ws.port=8080", set));

        Assert.Equal(key, error.Key ?? error.Origin);
    }

    [Fact]
    public void The_HTTP_listener_is_off_by_default_and_on_once_it_has_a_port()
    {
        Assert.Null(Settings().Http);
        Assert.Equal(
            new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9090),
            Settings("actors-mqtt.http.host=127.0.0.1", "actors-mqtt.http.port=9090").Http);
    }

    [Theory]
    [InlineData("actors-mqtt.http.port=70000", "actors-mqtt.http.port")]
    [InlineData("actors-mqtt.http.port=ninety", "actors-mqtt.http.port")]
    [InlineData("actors-mqtt.http.port=-1", "actors-mqtt.http.port")]
    [InlineData("actors-mqtt.http.port=1883", "actors-mqtt.http.port")]
    [InlineData("actors-mqtt.http.host=metrics.local", "actors-mqtt.http.host")]
    public void A_wrong_HTTP_setting_names_its_key(string set, string key)
    {
        // Port 1883 on 0.0.0.0 is the TCP listener's end point.
        var error = Assert.Throws<ConfigException>(() => Settings("actors-mqtt.http.port=9090", set));

        Assert.Equal(key, error.Key ?? error.Origin);
    }

    private static ServerSettings Settings(params string[] sets) =>
        ServerSettings.FromConfig(ConfigLoader.Load(null, sets, AppContext.BaseDirectory, AppContext.BaseDirectory));
}
