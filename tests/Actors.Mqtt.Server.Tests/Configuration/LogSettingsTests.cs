using Actors.Mqtt.Server.Configuration;
using Actors.Mqtt.Server.Logging;
using Serilog.Events;

namespace Actors.Mqtt.Server.Tests.Configuration;

/// <summary><c>actors-mqtt.log</c>: its defaults, the map of levels per category, and the errors that stop start-up.</summary>
public sealed class LogSettingsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("actors-mqtt-log-settings-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void By_default_plain_lines_on_the_console_from_information_with_Akka_at_warning()
    {
        var settings = Read("");

        Assert.Equal((LogEventLevel.Information, LogFormat.Console, true, null), (settings.Level, settings.Format, settings.Console, settings.File));
        Assert.Equal(LogEventLevel.Warning, settings.Levels["Akka"]);
        Assert.Equal(10 * 1024 * 1024, settings.MaxFileSize);
        Assert.Equal(10, settings.MaxFiles);
        Assert.Equal("INFO", ServerLogger.AkkaLogging(settings).GetString("akka.loglevel"));
    }

    [Fact]
    public void Quoted_categories_keep_their_dots_and_join_the_defaults()
    {
        var settings = Read("actors-mqtt.log.levels {\n  \"Actors.Mqtt.Broker.Sessions\" = debug\n  Akka = information\n}\n");

        Assert.Equal(LogEventLevel.Debug, settings.Levels["Actors.Mqtt.Broker.Sessions"]);
        Assert.Equal(LogEventLevel.Information, settings.Levels["Akka"]);
        Assert.Equal(LogEventLevel.Warning, settings.Levels["Microsoft"]);
        // Akka must make the actors' debug events for the one category that wants them.
        Assert.Equal("DEBUG", ServerLogger.AkkaLogging(settings).GetString("akka.loglevel"));
    }

    [Fact]
    public void A_quoted_category_can_be_set_from_the_command_line()
    {
        var settings = Read("", "actors-mqtt.log.levels.\"Akka.Cluster\"=debug", "actors-mqtt.log.format=json");

        Assert.Equal(LogEventLevel.Debug, settings.Levels["Akka.Cluster"]);
        Assert.Equal(LogFormat.Json, settings.Format);
    }

    [Fact]
    public void A_log_file_is_made_absolute_and_its_folder_created()
    {
        var file = Path.Combine(_directory, "logs", "broker.log");

        var settings = Read($"actors-mqtt.log {{ file = \"{file}\", max-file-size = 64KiB, max-files = 3 }}\n");

        Assert.Equal((file, 64 * 1024L, 3), (settings.File, settings.MaxFileSize, settings.MaxFiles));
        Assert.True(Directory.Exists(Path.GetDirectoryName(file)));
    }

    [Fact]
    public void A_bad_level_for_a_category_names_the_file_line_and_quoted_key()
    {
        var error = Assert.Throws<ConfigException>(() => Read("actors-mqtt.log.levels {\n  \"Actors.Mqtt.Broker\" = chatty\n}\n"));

        Assert.Equal(
            $"{Path.Combine(_directory, "broker.conf")}:2:3: actors-mqtt.log.levels.\"Actors.Mqtt.Broker\": 'chatty' is not a level: expected one of Verbose, Debug, Information, Warning, Error, Fatal",
            error.Message);
    }

    [Theory]
    [InlineData("actors-mqtt.log.format=text", "actors-mqtt.log.format: 'text' is not a format: expected console or json")]
    [InlineData("actors-mqtt.log.max-files=0", "actors-mqtt.log.max-files: 0 files: expected 1 or more (the file being written counts)")]
    [InlineData("actors-mqtt.log.console=maybe", "actors-mqtt.log.console: expected true or false (or on/off), found 'maybe'")]
    [InlineData("actors-mqtt.log.levels.Akka=loud", "actors-mqtt.log.levels.Akka: 'loud' is not a level: expected one of Verbose, Debug, Information, Warning, Error, Fatal")]
    [InlineData("actors-mqtt.log.levels=debug", "actors-mqtt.log.levels: expected an object { ... }, found 'debug'")]
    public void A_bad_log_setting_names_the_set_option_and_its_key(string set, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Read("", set));

        Assert.Equal($"--set {set}: {expected}", error.Message);
    }

    [Fact]
    public void A_log_file_that_cannot_be_written_stops_start_up_naming_the_key()
    {
        var blocker = Path.Combine(_directory, "not-a-folder");
        File.WriteAllText(blocker, "");

        var error = Assert.Throws<ConfigException>(() => Read("", $"actors-mqtt.log.file={blocker}/broker.log"));

        Assert.Equal("actors-mqtt.log.file", error.Key);
        Assert.Contains("cannot be written", error.Problem, StringComparison.Ordinal);
    }

    private LogSettings Read(string file, params string[] sets)
    {
        File.WriteAllText(Path.Combine(_directory, "broker.conf"), file);
        return LogSettings.FromConfig(ConfigLoader.Load("broker.conf", sets, _directory, _directory));
    }
}
