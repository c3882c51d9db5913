using Actors.Mqtt.Server.Configuration;
using Akka.Configuration;

namespace Actors.Mqtt.Server.Tests.Configuration;

/// <summary>The strict loader against a small reference of its own, so each rule is seen on its own.</summary>
public sealed class StrictConfigTests : IDisposable
{
    private const string Reference = """
        app {
          port = 1883
          ratio = 0.5
          enabled = on
          timeout = 10s
          buffer = 64KiB
          name = "broker"
          file = ""
          anything = null
          hosts = ["a", "b"]
          ports = [1]
          tls { port = 8883 }
        }
        akka.loglevel = INFO
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("actors-mqtt-strict-").FullName;
    private readonly Dictionary<string, string> _environment = [];

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("app.port = 1884", "app.port", "1884")]
    [InlineData("app.port = \"1884\"", "app.port", "1884")]
    [InlineData("app.ratio = 2", "app.ratio", "2")]
    [InlineData("app.enabled = false", "app.enabled", "False")]
    [InlineData("app.enabled = off", "app.enabled", "False")]
    [InlineData("app.timeout = 2m", "app.timeout", "00:02:00")]
    [InlineData("app.timeout = 500ms", "app.timeout", "00:00:00.5000000")]
    [InlineData("app.buffer = 1MiB", "app.buffer", "1048576")]
    [InlineData("app.buffer = 4096", "app.buffer", "4096")]
    [InlineData("app.name = mqtt broker one", "app.name", "mqtt broker one")]
    [InlineData("app.anything = 12", "app.anything", "12")]
    [InlineData("app { tls { port = 8884 } }", "app.tls.port", "8884")]
    [InlineData("app.tls.port: 8884", "app.tls.port", "8884")]
    [InlineData("{ app { port = 1, port = 2 } }", "app.port", "2")]
    public void A_value_that_fits_its_reference_type_reaches_Akka(string text, string key, string expected)
    {
        var config = Build(text);

        var value = config.GetValue(key);
        var actual = expected switch
        {
            "False" => config.GetBoolean(key).ToString(),
            _ when key == "app.timeout" => config.GetTimeSpan(key).ToString(),
            _ when key == "app.buffer" => config.GetByteSize(key)!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => value.GetString(),
        };
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("500 millis", 500)]
    [InlineData("2milliseconds", 2)]
    [InlineData("1.5s", 1500)]
    [InlineData("3 seconds", 3000)]
    [InlineData("1second", 1000)]
    [InlineData("2m", 120_000)]
    [InlineData("1 minute", 60_000)]
    [InlineData("2minutes", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1 hour", 3_600_000)]
    [InlineData("2hours", 7_200_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("1 day", 86_400_000)]
    [InlineData("2days", 172_800_000)]
    public void Every_duration_the_loader_accepts_is_read_by_Akka_as_meant(string text, long milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Build($"app.timeout = {text}").GetTimeSpan("app.timeout"));
    }

    [Theory]
    [InlineData("4096", 4096)]
    [InlineData("10B", 10)]
    [InlineData("2kB", 2000)]
    [InlineData("2KiB", 2048)]
    [InlineData("3MB", 3_000_000)]
    [InlineData("3 MiB", 3_145_728)]
    [InlineData("1GB", 1_000_000_000)]
    [InlineData("1GiB", 1_073_741_824)]
    public void Every_size_the_loader_accepts_is_read_by_Akka_as_meant(string text, long bytes)
    {
        Assert.Equal(bytes, Build($"app.buffer = {text}").GetByteSize("app.buffer"));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("on", true)]
    [InlineData("false", false)]
    [InlineData("off", false)]
    public void Every_boolean_the_loader_accepts_is_read_by_Akka_as_meant(string text, bool value)
    {
        Assert.Equal(value, Build($"app.enabled = {text}").GetBoolean("app.enabled"));
    }

    [Fact]
    public void A_quoted_number_is_read_as_a_number()
    {
        Assert.Equal(1884, Build("app.port = \"1884\"").GetInt("app.port"));
    }

    [Theory]
    [InlineData("app.prot = 1", 1, 1, "app.prot", "unknown key (did you mean 'port'?)")]
    [InlineData("app {\n  tls.prot = 1\n}", 2, 3, "app.tls.prot", "unknown key (did you mean 'port'?)")]
    [InlineData("ap.port = 1", 1, 1, "ap", "unknown key (did you mean 'app'?)")]
    [InlineData("app.colour = 1", 1, 1, "app.colour", "unknown key (known here: port, ratio, enabled, timeout, buffer, name, file, anything, hosts, ports, tls)")]
    [InlineData("app.port = 1.5", 1, 1, "app.port", "expected a whole number from -2147483648 to 2147483647, found '1.5'")]
    [InlineData("app.port = 3000000000", 1, 1, "app.port", "expected a whole number from -2147483648 to 2147483647, found '3000000000'")]
    [InlineData("app.ratio = half", 1, 1, "app.ratio", "expected a number, found 'half'")]
    [InlineData("app.enabled = yes", 1, 1, "app.enabled", "expected true or false (or on/off), found 'yes'")]
    [InlineData("app.enabled = 1", 1, 1, "app.enabled", "expected true or false (or on/off), found '1'")]
    [InlineData("app.timeout = 10", 1, 1, "app.timeout", "expected a duration with a unit (ms, s, m, h or d), such as 10s, found '10'")]
    [InlineData("app.buffer = 2KB", 1, 1, "app.buffer", "expected a size in bytes, with or without a unit (kB, KiB, MB, MiB, GB, GiB), such as 1MiB, found '2KB'")]
    [InlineData("app.buffer = lots", 1, 1, "app.buffer", "expected a size in bytes, with or without a unit (kB, KiB, MB, MiB, GB, GiB), such as 1MiB, found 'lots'")]
    [InlineData("app.name = [a]", 1, 1, "app.name", "expected a string, found a list")]
    [InlineData("app.tls = 1", 1, 1, "app.tls", "expected an object { ... }, found '1'")]
    [InlineData("app.hosts = 1", 1, 1, "app.hosts", "expected a list [ ... ] (or, with --set, a comma-separated string), found '1'")]
    [InlineData("app.ports = [1,\n  x]", 2, 3, "app.ports", "item 2: expected a whole number from -2147483648 to 2147483647, found 'x'")]
    [InlineData("akka = 1", 1, 1, "akka", "expected an object { ... }, found '1'")]
    public void A_key_the_reference_lacks_or_a_value_of_another_type_is_refused_at_its_line(
        string text, int line, int column, string key, string problem)
    {
        var error = Assert.Throws<ConfigException>(() => Build(text));

        Assert.Equal($"test.conf:{line}:{column}: {key}: {problem}", error.Message);
        Assert.Equal(key, error.Key);
    }

    [Theory]
    [InlineData("akka.clustr.seed-nodes = []", 1, "akka.clustr", "unknown key (did you mean 'cluster'?)")]
    [InlineData("akka { loglevl = DEBUG }", 8, "akka.loglevl", "unknown key (did you mean 'loglevel'?)")]
    [InlineData("akka.mqtt.port = 1", 1, "akka.mqtt", "unknown key: not a section or setting of this library")]
    public void A_key_directly_under_akka_must_be_one_of_Akkas_sections_or_settings(string text, int column, string key, string problem)
    {
        var error = Assert.Throws<ConfigException>(() => Build(text));

        Assert.Equal($"test.conf:1:{column}: {key}: {problem}", error.Message);
    }

    [Fact]
    public void Keys_deeper_under_akka_pass_with_syntax_checks_only()
    {
        var config = Build("akka { loglevel = DEBUG, cluster.seed-nodes = [\"akka.tcp://a@h:1\"] }");

        Assert.Equal("DEBUG", config.GetString("akka.loglevel"));
        Assert.Equal(["akka.tcp://a@h:1"], config.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void An_environment_variable_is_substituted_and_joined_with_text()
    {
        _environment["CERTS"] = "/etc/mqtt";
        _environment["PORT"] = "1999";

        var config = Build("app.port = ${PORT}\napp.name = ${CERTS}/server.pem\napp.hosts = [${CERTS}, b]");

        Assert.Equal(1999, config.GetInt("app.port"));
        Assert.Equal("/etc/mqtt/server.pem", config.GetString("app.name"));
        Assert.Equal(["/etc/mqtt", "b"], config.GetStringList("app.hosts"));
    }

    [Fact]
    public void A_substituted_value_is_type_checked_at_the_line_that_uses_it()
    {
        _environment["PORT"] = "high";

        var error = Assert.Throws<ConfigException>(() => Build("\napp.port = ${PORT}"));

        Assert.Equal("test.conf:2:1: app.port: expected a whole number from -2147483648 to 2147483647, found 'high'", error.Message);
    }

    [Fact]
    public void A_missing_required_variable_is_an_error_at_its_line_naming_the_key()
    {
        var error = Assert.Throws<ConfigException>(() => Build("app {\n  port = ${MQTT_PORT}\n}"));

        Assert.Equal(
            "test.conf:2:10: app.port: ${MQTT_PORT} is neither a key nor a set environment variable; write ${?MQTT_PORT} to keep the default when it is unset",
            error.Message);
    }

    [Fact]
    public void A_missing_optional_variable_keeps_the_value_set_before_it()
    {
        Assert.Equal(1883, Build("app.port = ${?MQTT_PORT}").GetInt("app.port"));
        Assert.Equal(1900, Build("app.port = 1900\napp.port = ${?MQTT_PORT}").GetInt("app.port"));
        _environment["MQTT_PORT"] = "1901";
        Assert.Equal(1901, Build("app.port = 1900\napp.port = ${?MQTT_PORT}").GetInt("app.port"));
    }

    [Fact]
    public void A_key_is_substituted_before_an_environment_variable_of_the_same_name()
    {
        _environment["app.port"] = "1";

        var config = Build("app.tls.port = ${app.port}\napp.port = 2000");

        Assert.Equal(2000, config.GetInt("app.tls.port"));
    }

    [Fact]
    public void A_substitution_cycle_is_an_error()
    {
        var error = Assert.Throws<ConfigException>(() => Build("app.port = ${app.tls.port}\napp.tls.port = ${app.port}"));

        Assert.Contains("refers back to itself", error.Problem, StringComparison.Ordinal);
        Assert.Equal("test.conf", error.Origin);
    }

    [Theory]
    [InlineData("include \"other.conf\"", 1, 1, "'include' is not supported")]
    [InlineData("app.hosts += c", 1, 11, "'+=' is not supported")]
    [InlineData("app.port 1", 1, 10, "expected '=', ':' or '{' after the key")]
    [InlineData("app.port =\napp.name = x", 1, 11, "a key has no value")]
    [InlineData("app..port = 1", 1, 1, "a key has an empty name")]
    [InlineData("app.port = 1 }", 1, 14, "'}' has no matching '{'")]
    [InlineData("app.name = \"a\\qb\"", 1, 14, "'\\q' is not an escape")]
    [InlineData("app.name = a!b", 1, 13, "'!' is not allowed outside quotes")]
    [InlineData("app.name = ::1", 1, 12, "expected a value, found ':' (a value containing ':' must be quoted)")]
    [InlineData("app.name = tcp://host:1883", 1, 15, "expected a new line or ',' after the value, found ':' (a value containing ':' must be quoted)")]
    [InlineData("app.tls = { port = 1 } x", 1, 24, "joining objects or lists with other values is not supported")]
    [InlineData("app.hosts = [a b, c d] [e]", 1, 24, "joining objects or lists with other values is not supported")]
    public void Unsupported_or_broken_syntax_is_refused_at_its_line_and_column(string text, int line, int column, string problem)
    {
        var error = Assert.Throws<ConfigException>(() => Build(text));

        Assert.Equal(("test.conf", line, column), (error.Origin, error.Line, error.Column));
        Assert.StartsWith(problem, error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_chain_of_substitutions_is_refused_before_it_can_overflow_the_stack()
    {
        var text = string.Concat(Enumerable.Range(0, 5000).Select(i => $"akka.actor.x{i} = ${{akka.actor.x{i + 1}}}\n")) + "akka.actor.x5000 = 1\n";

        var error = Assert.Throws<ConfigException>(() => Build(text));

        Assert.Contains("more than 64 deep", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_doubled_by_substitutions_is_refused_once_it_outgrows_the_limit()
    {
        var text = "akka.actor.a0 = xxxxxxxxxx\n" + string.Concat(Enumerable.Range(1, 40).Select(i => $"akka.actor.a{i} = ${{akka.actor.a{i - 1}}}${{akka.actor.a{i - 1}}}\n"));

        var error = Assert.Throws<ConfigException>(() => Build(text));

        Assert.Equal("test.conf:18:18: akka.actor.a17: its value grows beyond 1048576 characters through substitutions", error.Message);
    }

    [Fact]
    public void Objects_doubled_by_substitutions_are_refused_once_they_outgrow_the_limit()
    {
        var text = "akka.actor.o0 { x = 1, y = 2 }\n" + string.Concat(Enumerable.Range(1, 40).Select(i => $"akka.actor.o{i} {{ a = ${{akka.actor.o{i - 1}}}, b = ${{akka.actor.o{i - 1}}} }}\n"));

        var error = Assert.Throws<ConfigException>(() => Build(text));

        Assert.Contains("grows beyond 4194304 characters", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dotted_key_counts_towards_the_nesting_limit()
    {
        var error = Assert.Throws<ConfigException>(() => Build("akka.actor." + string.Join('.', Enumerable.Repeat("a", 100_000)) + " = 1"));

        Assert.Equal((1, 1), (error.Line, error.Column));
        Assert.Contains("nesting is deeper than 32 levels", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_source_locates_every_key_at_its_last_definition()
    {
        var config = BuildFile("app.port = 1\n\napp {\n  tls {\n    port = 2\n  }\n  port = 3\n}");
        var source = ConfigSource.Of(config);

        Assert.Equal(new ConfigLocation(FilePath, 7, 3, IsFile: true), source.Locate("app.port"));
        Assert.Equal(new ConfigLocation(FilePath, 5, 5, IsFile: true), source.Locate("app.tls.port"));
        Assert.Equal(new ConfigLocation("reference", 7, 3, IsFile: false), source.Locate("app.name"));
        Assert.Null(source.Locate("app.nothing"));
        Assert.Equal($"{FilePath}:5:5: app.tls.port: too big", source.Error("app.tls.port", "too big").Message);
    }

    [Fact]
    public void A_named_file_must_exist_and_resolves_against_the_folder_of_the_file_that_names_it()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "certs"));
        File.WriteAllText(Path.Combine(_directory, "certs", "server.pem"), "x");
        var config = BuildFile("app.file = certs/server.pem\napp.name = certs/absent.pem");
        var source = ConfigSource.Of(config);

        Assert.Equal(Path.Combine(_directory, "certs", "server.pem"), source.ExistingFile("app.file", config.GetString("app.file")));
        var error = Assert.Throws<ConfigException>(() => source.ExistingFile("app.name", config.GetString("app.name")));
        Assert.Equal($"{FilePath}:2:1: app.name: file '{Path.Combine(_directory, "certs", "absent.pem")}' does not exist", error.Message);
    }

    [Fact]
    public void A_configuration_the_loader_did_not_make_gives_errors_naming_the_key_alone()
    {
        var error = ConfigSource.Of(ConfigurationFactory.ParseString("a = 1")).Error("a", "wrong");

        Assert.Equal("configuration: a: wrong", error.Message);
    }

    private string FilePath => Path.Combine(_directory, "test.conf");

    private Config Build(string text) => Build(text, "test.conf", isFile: false);

    /// <summary>As an operator's file on disk, for the checks that resolve paths against its folder.</summary>
    private Config BuildFile(string text) => Build(text, FilePath, isFile: true);

    private Config Build(string text, string source, bool isFile) =>
        StrictConfig.Build(
            [new ConfigLayer(Reference, "reference", IsFile: false)],
            [new ConfigLayer(text, source, isFile)],
            name => _environment.GetValueOrDefault(name));
}
