using Actors.Mqtt.Broker;
using Actors.Mqtt.Server.Configuration;
using Actors.Mqtt.Server.Tests.Support;

namespace Actors.Mqtt.Server.Tests.Configuration;

/// <summary>Every configuration in hocon/ is one an operator can copy: it loads and its settings read.</summary>
public sealed class HoconExamplesTests
{
    private static readonly string Folder = Path.Combine(Repository.Root, "hocon");

    public static TheoryData<string> Examples => [.. Directory.GetFiles(Folder, "*.conf").Select(Path.GetFileName).OfType<string>()];

    [Theory]
    [MemberData(nameof(Examples))]
    public void An_example_loads_through_the_strict_loader_and_its_settings_read(string name)
    {
        var config = ConfigLoader.Load(Path.Combine(Folder, name), [], Folder, Folder);

        Assert.NotEmpty(ServerSettings.FromConfig(config).TcpListeners);
        Assert.True(BrokerSettings.From(config).MaxPacketSize > 0);
    }

    [Fact]
    public void The_examples_include_the_quick_start_the_executable_ships()
    {
        Assert.True(File.Exists(Path.Combine(Folder, Path.GetFileName(ConfigLoader.DefaultConfigFile))));
    }
}
