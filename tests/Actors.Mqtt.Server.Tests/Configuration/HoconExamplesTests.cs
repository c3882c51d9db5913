using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Actors.Mqtt.Broker;
using Actors.Mqtt.Server.Configuration;
using Actors.Mqtt.Tests;

namespace Actors.Mqtt.Server.Tests.Configuration;

/// <summary>Every configuration in hocon/ is one an operator can copy: it loads and its settings read.</summary>
public sealed class HoconExamplesTests : IDisposable
{
    private static readonly string Folder = Path.Combine(Repository.Root, "hocon");

    private readonly string files = Directory.CreateTempSubdirectory("actors-mqtt-examples-").FullName;

    /// <summary>The examples name their certificates and security files through MQTT_CERTS and MQTT_ETC, as an
    /// operator's deployment would; here those folders hold files made for the test.</summary>
    public HoconExamplesTests()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(files, "server.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(files, "ca.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(files, "server.key"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(files, "passwords"), string.Empty);
        File.WriteAllText(Path.Combine(files, "acl"), string.Empty);
        Environment.SetEnvironmentVariable("MQTT_CERTS", files);
        Environment.SetEnvironmentVariable("MQTT_ETC", files);
    }

    public void Dispose() => Directory.Delete(files, recursive: true);

    public static TheoryData<string> Examples => [.. Directory.GetFiles(Folder, "*.conf").Select(Path.GetFileName).OfType<string>()];

    [Theory]
    [MemberData(nameof(Examples))]
    public void An_example_loads_through_the_strict_loader_and_its_settings_read(string name)
    {
        var config = ConfigLoader.Load(Path.Combine(Folder, name), [], Folder, Folder);

        Assert.NotEmpty(ServerSettings.FromConfig(config).Listeners);
        Assert.True(BrokerSettings.From(config).MaxPacketSize > 0);
    }

    [Fact]
    public void The_examples_include_the_quick_start_the_executable_ships()
    {
        Assert.True(File.Exists(Path.Combine(Folder, Path.GetFileName(ConfigLoader.DefaultConfigFile))));
    }
}
