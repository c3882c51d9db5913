using System.Text.Json;
using Actors.Mqtt.Tests;
using MQTTnet.Formatter;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// A broker with <c>tcp</c> and <c>ws</c> listeners and the extensions of one <c>actors-mqtt.extensions</c> entry
/// each, written to a configuration file as an operator writes it, the assemblies taken from where the build put them.
/// </summary>
public sealed class ExtensionBroker : IAsyncDisposable
{
    private ExtensionBroker(string folder, BrokerFixture broker)
    {
        Folder = folder;
        Broker = broker;
    }

    /// <summary>The folder of the configuration file, for the files extensions write.</summary>
    public string Folder { get; }

    public BrokerFixture Broker { get; }

    /// <summary>The sample's Company.Audit.dll, built by the test project's reference to it.</summary>
    public static string AuditAssembly => Built("samples/Company.Audit", "Company.Audit.dll");

    /// <summary>The misbehaving extensions' assembly (tests/Actors.Mqtt.TestExtensions).</summary>
    public static string TestExtensionsAssembly => Built("tests/Actors.Mqtt.TestExtensions", "Actors.Mqtt.TestExtensions.dll");

    /// <summary>Starts a broker whose <c>extensions</c> list holds <paramref name="entries"/>, each the text inside one
    /// entry's braces; <c>{folder}</c> in them stands for <see cref="Folder"/>.</summary>
    public static async Task<ExtensionBroker> StartAsync(params string[] entries)
    {
        var folder = Directory.CreateTempSubdirectory("extensions-").FullName;
        var file = WriteConfig(folder, entries);
        var broker = new BrokerFixture
        {
            ConfigFile = file,
            Overrides = ["actors-mqtt.listeners.ws.host=127.0.0.1", "actors-mqtt.listeners.ws.port=0"],
        };
        await broker.InitializeAsync();
        return new ExtensionBroker(folder, broker);
    }

    /// <summary>Writes the configuration file of <see cref="StartAsync"/> into <paramref name="folder"/>, for a test
    /// that gives it to the executable itself.</summary>
    public static string WriteConfig(string folder, params string[] entries)
    {
        var file = Path.Combine(folder, "actors-mqtt.conf");
        var list = string.Join("\n", entries.Select(e =>
            "    {\n" + string.Concat(e.Replace("{folder}", folder, StringComparison.Ordinal).Split('\n').Select(line => "      " + line + "\n")) + "    }"));
        File.WriteAllText(file, $"actors-mqtt {{\n  extensions = [\n{list}\n  ]\n}}\n");
        return file;
    }

    /// <summary>A string as a HOCON value: quoted, with what JSON escapes escaped.</summary>
    public static string Quoted(string text) => JsonSerializer.Serialize(text);

    public Task<TestClient> ConnectTcpAsync(string? clientId = null) =>
        TestClient.ConnectAsync(Broker, MqttProtocolVersion.V500, clientId);

    public Task<TestClient> ConnectWebSocketAsync(string? clientId = null) =>
        TestClient.ConnectAsync(
            MqttProtocolVersion.V500,
            o => o.WithWebSocketServer(w => w.WithUri($"ws://127.0.0.1:{Broker.EndPointOf("ws").Port}/mqtt")),
            clientId);

    public async ValueTask DisposeAsync()
    {
        await Broker.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }

    // Built in the configuration the tests were built in (bin/Release/net10.0 beside bin/Release/net10.0).
    private static string Built(string project, string assembly)
    {
        var output = Path.GetRelativePath(Path.Combine(Repository.Root, "tests/Actors.Mqtt.Integration.Tests"), AppContext.BaseDirectory);
        var path = Path.GetFullPath(Path.Combine(Repository.Root, project, output, assembly));
        return File.Exists(path) ? path : throw new FileNotFoundException($"{assembly} is not built: build Actors.sln first", path);
    }
}
