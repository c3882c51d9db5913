using Actors.Mqtt.Server.Tests.Support;

namespace Actors.Mqtt.Server.Tests.Configuration;

/// <summary>
/// Bad configuration files given to the built executable: each stops start-up with exit code 2 and exactly one line
/// naming the file, the line and the key.
/// </summary>
public sealed class BadConfigFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("actors-mqtt-bad-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>File text, and the one line expected on stderr with <c>{file}</c> for the file's path.</summary>
    public static TheoryData<string, string, string> BadFiles => new()
    {
        {
            "unterminated-array",
            "actors-mqtt.listeners.tcp {\n  port = [1, 2\n}\n",
            "{file}:2:10: actors-mqtt.listeners.tcp.port: '[' is never closed"
        },
        {
            "missing-brace",
            "actors-mqtt {\n  listeners.tcp {\n    port = 1884\n\n  log.level = debug\n}\n",
            "{file}:1:13: actors-mqtt: '{' is never closed"
        },
        {
            "unterminated-string",
            "actors-mqtt.listeners.tcp {\n  host = \"127.0.0.1\n  port = 1884\n}\n",
            "{file}:2:10: actors-mqtt.listeners.tcp.host: string is not closed on its line (missing '\"')"
        },
        {
            "misspelt-key",
            "actors-mqtt {\n  limits {\n    max-packet-size = 4096\n    recieve-maximum = 10\n  }\n}\n",
            "{file}:4:5: actors-mqtt.limits.recieve-maximum: unknown key (did you mean 'receive-maximum'?)"
        },
        {
            "unknown-section",
            "# listeners, not listener\nactors-mqtt.listener.tcp.port = 1884\n",
            "{file}:2:1: actors-mqtt.listener: unknown key (did you mean 'listeners'?)"
        },
        {
            "unknown-top-level-key",
            "port = 1884\n",
            "{file}:1:1: port: unknown key (known here: actors-mqtt, akka)"
        },
        {
            "misspelt-akka-section",
            "akka {\n  clustr.seed-nodes = [\"akka.tcp://actors-mqtt@10.0.0.1:4053\"]\n}\n",
            "{file}:2:3: akka.clustr: unknown key (did you mean 'cluster'?)"
        },
        {
            "port-not-a-number",
            "actors-mqtt.listeners.tcp.port = \"eighteen\"\n",
            "{file}:1:1: actors-mqtt.listeners.tcp.port: expected a whole number from -2147483648 to 2147483647, found 'eighteen'"
        },
        {
            "port-out-of-range",
            "actors-mqtt.listeners.tcp {\n  port = 70000\n}\n",
            "{file}:2:3: actors-mqtt.listeners.tcp.port: 70000 is not a port: expected 0 to 65535"
        },
        {
            "http-port-out-of-range",
            "actors-mqtt.http {\n  host = \"127.0.0.1\"\n  port = 70000\n}\n",
            "{file}:3:3: actors-mqtt.http.port: 70000 is not a port: expected 0 to 65535"
        },
        {
            "duration-without-unit",
            "actors-mqtt.limits.connect-timeout = 10\n",
            "{file}:1:1: actors-mqtt.limits.connect-timeout: expected a duration with a unit (ms, s, m, h or d), such as 10s, found '10'"
        },
        {
            "bridge-misspelt-key",
            "actors-mqtt.bridges.cloud {\n  adress = \"127.0.0.1:1883\"\n}\n",
            "{file}:2:3: actors-mqtt.bridges.cloud.adress: unknown key (did you mean 'address'?)"
        },
        {
            "bridge-topic-misspelt-key",
            "actors-mqtt.bridges.cloud {\n  address = \"127.0.0.1:1883\"\n  topics = [\n    { patern = \"a/#\" }\n  ]\n}\n",
            "{file}:4:7: actors-mqtt.bridges.cloud.topics.1.patern: unknown key (did you mean 'pattern'?)"
        },
        {
            "bridge-topic-direction-unknown",
            "actors-mqtt.bridges.cloud {\n  address = \"127.0.0.1:1883\"\n  topics = [ { pattern = \"a/#\", direction = sideways } ]\n}\n",
            "{file}:3:3: actors-mqtt.bridges.cloud.topics: item 1: direction 'sideways' is not one: expected out, in or both"
        },
        {
            "bridge-without-address",
            "actors-mqtt.bridges.cloud {\n  topics = [ { pattern = \"a/#\" } ]\n}\n",
            "{file}:1:1: actors-mqtt.bridges.cloud: has no address: expected address = \"host:port\" of the remote broker"
        },
        {
            "broker-limit-out-of-range",
            "actors-mqtt.limits {\n  receive-maximum = 70000\n}\n",
            "{file}:2:3: actors-mqtt.limits.receive-maximum: 70000 is out of range: expected 1 to 65535"
        },
        {
            "broker-strategy-unknown",
            "actors-mqtt.sessions.shared-subscription-strategy = fastest\n",
            "{file}:1:1: actors-mqtt.sessions.shared-subscription-strategy: 'fastest' is not a strategy: expected round-robin or random"
        },
        {
            "sqlite-synchronous-unknown",
            "actors-mqtt.persistence {\n  sqlite.synchronous = off\n}\n",
            "{file}:2:3: actors-mqtt.persistence.sqlite.synchronous: 'off' is not a mode: expected full or normal"
        },
        {
            "log-level-not-a-level",
            "actors-mqtt.log.level = loud\n",
            "{file}:1:1: actors-mqtt.log.level: 'loud' is not a level: expected one of Verbose, Debug, Information, Warning, Error, Fatal"
        },
        {
            "log-format-unknown",
            "actors-mqtt.log.format = text\n",
            "{file}:1:1: actors-mqtt.log.format: 'text' is not a format: expected console or json"
        },
        {
            "log-category-level-unknown",
            "actors-mqtt.log.levels {\n  \"Actors.Mqtt.Broker.Sessions\" = chatty\n}\n",
            "{file}:2:3: actors-mqtt.log.levels.\"Actors.Mqtt.Broker.Sessions\": 'chatty' is not a level: expected one of Verbose, Debug, Information, Warning, Error, Fatal"
        },
        {
            "log-misspelt-key",
            "actors-mqtt.log {\n  max-file = 3\n}\n",
            "{file}:2:3: actors-mqtt.log.max-file: unknown key (did you mean 'max-files'?)"
        },
        {
            "host-not-an-address",
            "actors-mqtt.listeners.tcp.host = localhost\n",
            "{file}:1:1: actors-mqtt.listeners.tcp.host: 'localhost' is not an IP address"
        },
        {
            "object-for-a-value",
            "actors-mqtt.log.level {\n  console = debug\n}\n",
            "{file}:1:1: actors-mqtt.log.level: expected a string, found an object"
        },
        {
            "missing-environment-variable",
            "actors-mqtt.listeners.tcp.port = ${ACTORS_MQTT_TEST_UNSET_PORT}\n",
            "{file}:1:34: actors-mqtt.listeners.tcp.port: ${ACTORS_MQTT_TEST_UNSET_PORT} is neither a key nor a set environment variable; write ${?ACTORS_MQTT_TEST_UNSET_PORT} to keep the default when it is unset"
        },
        {
            "include",
            "include \"other.conf\"\n",
            "{file}:1:1: 'include' is not supported: put the keys in this file, or override single keys with --set"
        },
        {
            "too-deep",
            "akka " + string.Concat(Enumerable.Repeat("{ a ", 40)) + new string('}', 40) + "\n",
            $"{{file}}:1:134: akka{string.Concat(Enumerable.Repeat(".a", 32))}: nesting is deeper than 32 levels"
        },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task A_bad_file_exits_with_2_and_one_line_naming_file_line_and_key(string name, string text, string expected)
    {
        var path = Path.Combine(_directory, $"{name}.conf");
        await File.WriteAllTextAsync(path, text);

        var (exitCode, stdout, stderr) = await ServerProcess.RunAsync(_directory, "--config", path);

        Assert.Equal(2, exitCode);
        Assert.Equal($"actors-mqtt: {expected.Replace("{file}", path, StringComparison.Ordinal)}\n", stderr);
        Assert.Empty(stdout);
    }

    [Fact]
    public async Task A_bad_HTTP_port_from_set_names_the_option_and_key()
    {
        var (exitCode, _, stderr) = await ServerProcess.RunAsync(_directory, "--set", "actors-mqtt.http.port=metrics");

        Assert.Equal(2, exitCode);
        Assert.Equal("actors-mqtt: --set actors-mqtt.http.port=metrics: actors-mqtt.http.port: metrics is not a port: expected 0 to 65535\n", stderr);
    }

    [Fact]
    public async Task A_bad_set_is_checked_like_a_file_and_names_the_option_and_key()
    {
        var path = Path.Combine(_directory, "good.conf");
        await File.WriteAllTextAsync(path, "actors-mqtt.listeners.tcp.port = 1884\n");

        var (exitCode, _, stderr) = await ServerProcess.RunAsync(
            _directory, "--config", path, "--set", "actors-mqtt.limits.max-packet-sise=4096");

        Assert.Equal(2, exitCode);
        Assert.Equal(
            "actors-mqtt: --set actors-mqtt.limits.max-packet-sise=4096: actors-mqtt.limits.max-packet-sise: unknown key (did you mean 'max-packet-size'?)\n",
            stderr);
    }
}
