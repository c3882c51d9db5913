using System.CommandLine;
using Actors.Mqtt.Server;
using Actors.Mqtt.Server.Commands;
using Actors.Mqtt.Server.Configuration;

var configOption = new Option<string?>("--config")
{
    Description = $"HOCON configuration file (default {ConfigLoader.DefaultConfigFile}, looked up in the current "
        + "directory, then next to the executable)",
    HelpName = "file",
    Recursive = true,
};
var setOption = new Option<string[]>("--set")
{
    Description = "Override one configuration key, for example --set actors-mqtt.listeners.tcp.port=1884 (repeatable)",
    HelpName = "key=value",
    Arity = ArgumentArity.ZeroOrMore,
    Recursive = true,
};

var root = new RootCommand("Actors.Mqtt: an MQTT broker built as an actor system. Runs the broker.")
{
    configOption,
    setOption,
    JournalCommand.Create(configOption, setOption),
};
root.Subcommands.Add(PasswdCommand.Create());
root.SetAction(async (parse, cancellation) =>
{
    try
    {
        var config = ConfigLoader.Load(parse.GetValue(configOption), parse.GetValue(setOption) ?? []);
        var builder = ServerHost.CreateBuilder(config);
        BrokerComposition.Configure(builder.Services, config);

        await using var app = ServerHost.Build(builder);
        await app.RunAsync(cancellation);
        return 0;
    }
    catch (ConfigException e)
    {
        await Console.Error.WriteLineAsync($"actors-mqtt: {e.Message}");
        return 2;
    }
});

// The host handles Ctrl-C and SIGTERM with a graceful shutdown; the command line library must not race it.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
