using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests.Extensions;

/// <summary>
/// Extensions that throw at every question, or never answer one (tests/Actors.Mqtt.TestExtensions): the broker goes
/// on serving and takes the entry's <c>on-timeout</c> answer, and a wrong entry stops start-up at its key.
/// </summary>
public sealed class ExtensionFailureTests
{
    [Theory]
    [InlineData("ThrowingExtension", "deny", MqttClientConnectResultCode.NotAuthorized)]
    [InlineData("ThrowingExtension", "no-opinion", MqttClientConnectResultCode.Success)]
    [InlineData("SilentExtension", "deny", MqttClientConnectResultCode.NotAuthorized)]
    [InlineData("SilentExtension", "no-opinion", MqttClientConnectResultCode.Success)]
    public async Task An_authenticating_extension_that_fails_is_given_its_on_timeout_answer_at_every_CONNECT(
        string extension, string onTimeout, MqttClientConnectResultCode expected)
    {
        await using var broker = await ExtensionBroker.StartAsync(Entry(extension, "authenticate", onTimeout));

        // The second CONNECT meets the extension restarted after the first, or still silent: the broker answers both.
        await using var first = await broker.ConnectTcpAsync();
        await using var second = await broker.ConnectWebSocketAsync();

        Assert.Equal(expected, first.ConnectResult.ResultCode);
        Assert.Equal(expected, second.ConnectResult.ResultCode);
    }

    [Theory]
    [InlineData("ThrowingExtension")]
    [InlineData("SilentExtension")]
    public async Task An_authorizing_extension_that_fails_with_on_timeout_deny_refuses_every_PUBLISH_and_SUBSCRIBE(string extension)
    {
        await using var broker = await ExtensionBroker.StartAsync(Entry(extension, "authorize", "deny"));
        await using var client = await broker.ConnectTcpAsync();

        var first = await client.Client.PublishAsync(Message("a/1"));
        var second = await client.Client.PublishAsync(Message("a/2"));
        var subscribed = await client.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("a/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, first.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, second.ReasonCode);
        Assert.Equal([MqttClientSubscribeResultCode.NotAuthorized], subscribed.Items.Select(i => i.ResultCode));
        Assert.True(client.Client.IsConnected);
    }

    [Theory]
    [InlineData("ThrowingExtension")]
    [InlineData("SilentExtension")]
    public async Task An_authorizing_extension_that_fails_with_on_timeout_allow_lets_messages_through(string extension)
    {
        await using var broker = await ExtensionBroker.StartAsync(Entry(extension, "authorize", "allow"));
        await using var subscriber = await broker.ConnectWebSocketAsync();
        await subscriber.SubscribeAsync("a/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await broker.ConnectTcpAsync();

        var published = await publisher.Client.PublishAsync(Message("a/1"));

        Assert.Equal(MqttClientPublishReasonCode.Success, published.ReasonCode);
        Assert.Equal("a/1", (await subscriber.NextAsync()).Topic);
    }

    [Fact]
    public async Task A_type_the_assembly_does_not_have_stops_start_up_with_exit_code_2_at_its_key()
    {
        var folder = Directory.CreateTempSubdirectory("extensions-").FullName;
        try
        {
            var assembly = ExtensionBroker.TestExtensionsAssembly;
            var file = ExtensionBroker.WriteConfig(
                folder,
                Entry("SilentExtension", "authorize", "deny"),
                $"""
                type = "Actors.Mqtt.TestExtensions.Missing, Actors.Mqtt.TestExtensions"
                assembly-path = {ExtensionBroker.Quoted(assembly)}
                """);

            var (exitCode, _, stderr) = await BrokerProcess.RunToolAsync(folder, "--config", file);

            Assert.Equal(2, exitCode);
            Assert.Equal($"actors-mqtt: {file}:{LineOf(file, "Missing")}:7: actors-mqtt.extensions.2.type: no class 'Actors.Mqtt.TestExtensions.Missing, Actors.Mqtt.TestExtensions' in {assembly}\n", stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task An_assembly_path_with_no_file_stops_start_up_with_exit_code_2_at_its_key()
    {
        var folder = Directory.CreateTempSubdirectory("extensions-").FullName;
        try
        {
            var missing = Path.Combine(folder, "plugins", "Company.Audit.dll");
            var file = ExtensionBroker.WriteConfig(folder, $"""
                type = "Company.Audit.AuditExtension, Company.Audit"
                assembly-path = {ExtensionBroker.Quoted(missing)}
                """);

            var (exitCode, _, stderr) = await BrokerProcess.RunToolAsync(folder, "--config", file);

            Assert.Equal(2, exitCode);
            Assert.Equal($"actors-mqtt: {file}:{LineOf(file, "assembly-path")}:7: actors-mqtt.extensions.1.assembly-path: file '{missing}' does not exist\n", stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_config_block_the_extension_refuses_stops_start_up_with_exit_code_2_at_its_key()
    {
        var folder = Directory.CreateTempSubdirectory("extensions-").FullName;
        try
        {
            var file = ExtensionBroker.WriteConfig(folder, $$"""
                type = "Company.Audit.AuditExtension, Company.Audit"
                assembly-path = {{ExtensionBroker.Quoted(ExtensionBroker.AuditAssembly)}}
                config { deny-topic = "secret/#" }
                """);

            var (exitCode, _, stderr) = await BrokerProcess.RunToolAsync(folder, "--config", file);

            Assert.Equal(2, exitCode);
            Assert.Equal($"actors-mqtt: {file}:{LineOf(file, "deny-topic")}:7: actors-mqtt.extensions.1.config: Company.Audit.AuditExtension refused it: file is required: the file the audit lines are appended to\n", stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>An entry for one of the misbehaving extensions, impatient so that the tests do not wait long.</summary>
    private static string Entry(string extension, string answers, string onTimeout) => $$"""
        type = "Actors.Mqtt.TestExtensions.{{extension}}, Actors.Mqtt.TestExtensions"
        assembly-path = {{ExtensionBroker.Quoted(ExtensionBroker.TestExtensionsAssembly)}}
        timeout = 500ms
        on-timeout = {{onTimeout}}
        config { answers = {{answers}} }
        """;

    private static MqttApplicationMessage Message(string topic) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("x").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    /// <summary>The line number, from 1, of the first line of <paramref name="file"/> that holds <paramref name="text"/>.</summary>
    private static int LineOf(string file, string text) =>
        File.ReadAllLines(file).Select((line, i) => (line, i)).First(l => l.line.Contains(text, StringComparison.Ordinal)).i + 1;
}
