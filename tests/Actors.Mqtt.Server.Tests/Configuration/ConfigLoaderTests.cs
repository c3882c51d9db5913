using Actors.Mqtt.Broker;
using Actors.Mqtt.Broker.Clustering;
using Actors.Mqtt.Server.Configuration;
using Actors.Mqtt.Server.Configuration.Hocon;
using Akka.Configuration;

namespace Actors.Mqtt.Server.Tests.Configuration;

public sealed class ConfigLoaderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("actors-mqtt-config-").FullName;
    private readonly string _cwd;
    private readonly string _contentRoot;

    public ConfigLoaderTests()
    {
        _cwd = Directory.CreateDirectory(Path.Combine(_root, "cwd")).FullName;
        _contentRoot = Directory.CreateDirectory(Path.Combine(_root, "app")).FullName;
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_file_overrides_the_embedded_reference_and_keeps_its_other_defaults()
    {
        Write(_cwd, "broker.conf", "actors-mqtt.listeners.tcp.port = 1884\n");

        var config = Load("broker.conf");

        Assert.Equal(1884, config.GetInt("actors-mqtt.listeners.tcp.port"));
        Assert.Equal("0.0.0.0", config.GetString("actors-mqtt.listeners.tcp.host"));
        Assert.Equal("information", config.GetString("actors-mqtt.log.level"));
    }

    [Fact]
    public void Set_overrides_the_file_and_the_last_set_wins()
    {
        Write(_cwd, "broker.conf", "actors-mqtt.listeners.tcp { host = \"10.0.0.1\", port = 1884 }\n");

        var config = Load(
            "broker.conf",
            "actors-mqtt.listeners.tcp.port=2000",
            "actors-mqtt.listeners.tcp.port=2001",
            "actors-mqtt.listeners.tcp.host=127.0.0.1");

        Assert.Equal(2001, config.GetInt("actors-mqtt.listeners.tcp.port"));
        Assert.Equal("127.0.0.1", config.GetString("actors-mqtt.listeners.tcp.host"));
    }

    [Fact]
    public void Set_gives_a_list_of_seed_nodes_as_a_comma_separated_string()
    {
        Write(_cwd, "broker.conf", "");
        var config = Load("broker.conf", "actors-mqtt.cluster.port=4053", "actors-mqtt.cluster.seed-nodes=10.0.0.1:4053, node-2.example:4053");

        var cluster = BrokerSettings.From(config).Cluster;

        Assert.Equal([new NodeAddress("10.0.0.1", 4053), new NodeAddress("node-2.example", 4053)], cluster.SeedNodes);
        Assert.Equal(
            ["akka.tcp://actors-mqtt@10.0.0.1:4053", "akka.tcp://actors-mqtt@node-2.example:4053"],
            MqttBroker.PrepareConfig(config).GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void Set_gives_discovery_endpoints_as_a_comma_separated_string()
    {
        Write(_cwd, "broker.conf", "");
        var config = Load(
            "broker.conf",
            "actors-mqtt.cluster.port=4053",
            "actors-mqtt.cluster.discovery.method=config",
            "actors-mqtt.cluster.discovery.config.endpoints=10.0.0.1:8558, node-2.example:8558");

        var discovery = BrokerSettings.From(config).Cluster.Discovery;

        Assert.Equal([new NodeAddress("10.0.0.1", 8558), new NodeAddress("node-2.example", 8558)], discovery.Endpoints);
        Assert.Equal(["10.0.0.1:8558", "node-2.example:8558"], MqttBroker.PrepareConfig(config).GetStringList("akka.discovery.config.services.actors-mqtt.endpoints"));
    }

    [Theory]
    [InlineData("1883", "1883")]
    [InlineData("-2.5e3", "-2.5e3")]
    [InlineData("true", "true")]
    [InlineData("10s", "\"10s\"")]
    [InlineData("[1, 2", "\"[1, 2\"")]
    [InlineData("${x}", "\"${x}\"")]
    [InlineData("say \"hi\" \\ bye", "\"say \\\"hi\\\" \\\\ bye\"")]
    public void Set_values_that_are_not_numbers_or_booleans_become_strings(string value, string hocon)
    {
        Assert.Equal($"a.b-c.d_e = {hocon}", ConfigLoader.OverrideToHocon($"a.b-c.d_e={value}"));
    }

    [Fact]
    public void A_set_string_reaches_the_config_exactly_as_typed()
    {
        Write(_cwd, "broker.conf", "");

        var config = Load("broker.conf", "actors-mqtt.log.level=say \"hi\" { [ \\ ${x}");

        Assert.Equal("say \"hi\" { [ \\ ${x}", config.GetString("actors-mqtt.log.level"));
    }

    [Theory]
    [InlineData("no-equals-sign")]
    [InlineData("=1")]
    [InlineData("bad key=1")]
    [InlineData("a..b=1")]
    [InlineData("a.=1")]
    [InlineData("a{b}=1")]
    public void A_malformed_set_is_an_error_naming_it(string set)
    {
        Write(_cwd, "broker.conf", "");

        var error = Assert.Throws<ConfigException>(() => Load("broker.conf", set));

        Assert.Equal($"--set {set}", error.Origin);
        Assert.Contains($"--set {set}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_config_file_is_an_error_naming_the_path()
    {
        var error = Assert.Throws<ConfigException>(() => Load("missing.conf"));

        Assert.Equal("missing.conf", error.Origin);
        Assert.Contains(Path.Combine(_cwd, "missing.conf"), error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_contentRoot, "missing.conf"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_absolute_config_file_is_an_error_naming_the_path()
    {
        var path = Path.Combine(_root, "nowhere", "broker.conf");

        var error = Assert.Throws<ConfigException>(() => Load(path));

        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_relative_file_is_found_in_the_current_directory_before_the_content_root()
    {
        Write(_cwd, "hocon/broker.conf", "actors-mqtt.listeners.tcp.port = 1\n");
        Write(_contentRoot, "hocon/broker.conf", "actors-mqtt.listeners.tcp.port = 2\n");

        Assert.Equal(1, Load(null).GetInt("actors-mqtt.listeners.tcp.port"));
    }

    [Fact]
    public void The_default_file_falls_back_to_the_content_root()
    {
        Write(_contentRoot, "hocon/broker.conf", "actors-mqtt.listeners.tcp.port = 2\n");

        Assert.Equal(2, Load(null).GetInt("actors-mqtt.listeners.tcp.port"));
    }

    [Fact]
    public void The_shipped_default_file_loads_and_sets_the_listener()
    {
        var config = ConfigLoader.Load(null, [], _cwd, AppContext.BaseDirectory);

        var settings = ServerSettings.FromConfig(config);

        var tcp = Assert.Single(settings.Listeners);
        Assert.Equal(ListenerKind.Tcp, tcp.Kind);
        Assert.Equal("0.0.0.0:1883", tcp.EndPoint.ToString());
    }

    [Fact]
    public void A_broken_file_is_reported_with_its_resolved_path_line_and_column()
    {
        var path = Write(_cwd, "broker.conf", "actors-mqtt {\n  listeners.tcp.port = [1883\n}\n");

        var error = Assert.Throws<ConfigException>(() => Load("broker.conf"));

        Assert.StartsWith($"{path}:2:24: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_over_the_size_limit_is_refused_before_it_is_read()
    {
        var path = Path.Combine(_cwd, "big.conf");
        using (var file = File.Create(path))
        {
            file.SetLength(HoconLimits.MaxBytes + 1);
        }

        var error = Assert.Throws<ConfigException>(() => Load("big.conf"));

        Assert.Equal(path, error.Origin);
        Assert.Contains("more than the limit", error.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("actors-mqtt.listeners.tcp.port=70000", "actors-mqtt.listeners.tcp.port", "70000 is not a port: expected 0 to 65535")]
    [InlineData("actors-mqtt.listeners.tcp.host=example", "actors-mqtt.listeners.tcp.host", "'example' is not an IP address")]
    [InlineData("actors-mqtt.log.level=loud", "actors-mqtt.log.level", "'loud' is not a level: expected one of Verbose, Debug, Information, Warning, Error, Fatal")]
    public void A_wrong_server_setting_names_the_set_option_and_its_key(string set, string key, string problem)
    {
        Write(_cwd, "broker.conf", "");
        var config = Load("broker.conf", set);

        var error = Assert.Throws<ConfigException>(() => ServerSettings.FromConfig(config));

        Assert.Equal($"--set {set}: {key}: {problem}", error.Message);
    }

    [Fact]
    public void A_wrong_server_setting_from_the_file_names_its_file_line_and_key()
    {
        var path = Write(_cwd, "broker.conf", "actors-mqtt {\n  listeners.tcp {\n    port = 70000\n  }\n}\n");
        var config = Load("broker.conf");

        var error = Assert.Throws<ConfigException>(() => ServerSettings.FromConfig(config));

        Assert.Equal($"{path}:3:5: actors-mqtt.listeners.tcp.port: 70000 is not a port: expected 0 to 65535", error.Message);
    }

    [Fact]
    public void A_set_value_of_the_wrong_type_is_refused_by_the_loader_naming_the_option()
    {
        Write(_cwd, "broker.conf", "");

        var error = Assert.Throws<ConfigException>(() => Load("broker.conf", "actors-mqtt.limits.connect-timeout=soon"));

        Assert.Equal(
            "--set actors-mqtt.limits.connect-timeout=soon: actors-mqtt.limits.connect-timeout: expected a duration with a unit (ms, s, m, h or d), such as 10s, found 'soon'",
            error.Message);
    }

    [Fact]
    public void A_set_duration_is_accepted_and_read_by_the_broker()
    {
        Write(_cwd, "broker.conf", "");

        var config = Load("broker.conf", "actors-mqtt.limits.connect-timeout=1500ms");

        Assert.Equal(TimeSpan.FromMilliseconds(1500), Actors.Mqtt.Broker.BrokerSettings.From(config).ConnectTimeout);
    }

    [Fact]
    public void Environment_variables_fill_substitutions_in_the_file()
    {
        Write(_cwd, "broker.conf", "actors-mqtt.listeners.tcp {\n  port = ${MQTT_PORT}\n  host = ${?MQTT_HOST}\n}\n");
        var environment = new Dictionary<string, string> { ["MQTT_PORT"] = "1999" };

        var config = ConfigLoader.Load("broker.conf", [], _cwd, _contentRoot, environment.GetValueOrDefault);

        Assert.Equal(1999, config.GetInt("actors-mqtt.listeners.tcp.port"));
        Assert.Equal("0.0.0.0", config.GetString("actors-mqtt.listeners.tcp.host"));
    }

    private Config Load(string? file, params string[] sets) => ConfigLoader.Load(file, sets, _cwd, _contentRoot);

    private static string Write(string directory, string name, string text)
    {
        var path = Path.Combine(directory, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }
}
