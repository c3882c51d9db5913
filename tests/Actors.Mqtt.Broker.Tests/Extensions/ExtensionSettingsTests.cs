using Actors.Mqtt.Broker.Extensions;
using Akka.Actor;
using Akka.Configuration;

namespace Actors.Mqtt.Broker.Tests.Extensions;

/// <summary>An extension's entry is read, and its class found, at start-up: a wrong one names its key.</summary>
public sealed class ExtensionSettingsTests
{
    private static BrokerSettings Read(string extensions) =>
        BrokerSettings.From(ConfigurationFactory.ParseString($"actors-mqtt.extensions = {extensions}"));

    private static string KeyOf(Action read) =>
        Assert.IsType<string>(Assert.Throws<ConfigurationException>(read).Data[BrokerSettings.KeyData]);

    [Fact]
    public void No_extension_is_configured_by_default_and_then_no_event_is_made()
    {
        var settings = BrokerSettings.From(BrokerSettings.Reference);

        Assert.Empty(settings.Extensions);
        Assert.False(settings.PublishesEvents);
    }

    [Fact]
    public void An_entry_takes_the_defaults_and_its_name_from_the_class()
    {
        var settings = Read($"[ {{ type = \"{typeof(Listening).AssemblyQualifiedName}\", config {{ file = audit.log }} }} ]");

        var extension = Assert.Single(settings.Extensions);
        Assert.Equal(nameof(Listening), extension.Name);
        Assert.IsType<Listening>(extension.Extension);
        Assert.Equal((TimeSpan.FromSeconds(2), TimeoutAnswer.Deny), (extension.Timeout, extension.OnTimeout));
        Assert.Equal("audit.log", extension.Config.GetString("file"));
        Assert.True(settings.PublishesEvents);
    }

    [Theory]
    [InlineData("[ { type = \"No.Such.Type, Nowhere\" } ]", "actors-mqtt.extensions.1.type")]
    [InlineData("[ { name = x } ]", "actors-mqtt.extensions.1")]
    [InlineData("[ { type = \"System.String, System.Private.CoreLib\" } ]", "actors-mqtt.extensions.1.type")]
    [InlineData("[ { type = \"X, Y\", assembly-path = \"/no/such/file.dll\" } ]", "actors-mqtt.extensions.1.assembly-path")]
    public void A_wrong_entry_is_reported_at_its_key(string extensions, string key) => Assert.Equal(key, KeyOf(() => Read(extensions)));

    [Fact]
    public void Two_entries_of_one_name_and_a_wrong_timeout_answer_are_reported_at_their_keys()
    {
        var type = typeof(Listening).AssemblyQualifiedName;
        Assert.Equal("actors-mqtt.extensions.2.name", KeyOf(() => Read($"[ {{ type = \"{type}\" }}, {{ type = \"{type}\" }} ]")));
        Assert.Equal("actors-mqtt.extensions.1.on-timeout", KeyOf(() => Read($"[ {{ type = \"{type}\", on-timeout = maybe }} ]")));
    }

    public sealed class Listening : IBrokerExtension
    {
        public ExtensionQuestions Answers(ExtensionContext context) => ExtensionQuestions.None;

        public Props Props(ExtensionContext context) => Akka.Actor.Props.Empty;
    }
}
