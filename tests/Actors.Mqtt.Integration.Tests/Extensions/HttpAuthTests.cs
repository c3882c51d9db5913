using System.Collections.Concurrent;
using System.Text.Json;
using Actors.Mqtt.Integration.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using MQTTnet;
using MQTTnet.Formatter;

namespace Actors.Mqtt.Integration.Tests.Extensions;

/// <summary>
/// The broker with the built-in HTTP extension configured, asking a real HTTP server on 127.0.0.1 about each CONNECT:
/// the server's 200 lets a client in, its 401 refuses it as bad user name or password, and its 500 is no opinion, so
/// the password file's side decides (here: no password file and anonymous clients refused).
/// </summary>
public sealed class HttpAuthTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("http-auth-").FullName;
    private readonly ConcurrentQueue<JsonElement> received = new();
    private WebApplication server = null!;
    private BrokerFixture broker = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        server = builder.Build();
        server.MapPost("/mqtt/auth", async (HttpContext context) =>
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            received.Enqueue(body.RootElement.Clone());
            return body.RootElement.GetProperty("username").GetString() switch
            {
                "alice" when body.RootElement.GetProperty("password").GetString() == "alice-pw" => Results.Ok(),
                "broken" => Results.StatusCode(500),
                _ => Results.StatusCode(401),
            };
        });
        await server.StartAsync();

        var config = Path.Combine(folder, "broker.conf");
        await File.WriteAllTextAsync(config, $$"""
            actors-mqtt.auth.allow-anonymous = false
            actors-mqtt.extensions = [ { type = "Actors.Mqtt.Broker.Extensions.Http.HttpAuthExtension, Actors.Mqtt.Broker", name = "http-auth",
              timeout = 10s, on-timeout = deny,
              config { authenticate-url = "{{server.Urls.First()}}/mqtt/auth", request-timeout = 5s } } ]
            """);
        broker = new BrokerFixture { ConfigFile = config };
        await broker.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await broker.DisposeAsync();
        await server.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_client_the_server_allows_connects_and_the_server_got_its_connect(MqttProtocolVersion version)
    {
        await using var client = await TestClient.ConnectAsync(broker, version, "http-alice", o => o.WithCredentials("alice", "alice-pw"));

        Assert.Equal(MqttClientConnectResultCode.Success, client.ConnectResult.ResultCode);
        var request = Assert.Single(received);
        Assert.Equal("http-alice", request.GetProperty("clientid").GetString());
        Assert.Equal("tcp", request.GetProperty("listener").GetString());
        Assert.Equal(version == MqttProtocolVersion.V500 ? 5 : 4, request.GetProperty("protocol").GetInt32());
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_client_the_server_answers_401_is_refused_as_bad_user_name_or_password(MqttProtocolVersion version)
    {
        await using var refused = await TestClient.ConnectAsync(broker, version, configure: o => o.WithCredentials("alice", "wrong"));

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, refused.ConnectResult.ResultCode);
    }

    [Fact]
    public async Task A_client_the_server_has_no_opinion_about_is_left_to_the_password_file_side()
    {
        await using var refused = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500, configure: o => o.WithCredentials("broken", "pw"));

        // Not the HTTP server's 0x86: without a password file a user name proves nothing, and anonymous clients are refused.
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, refused.ConnectResult.ResultCode);
        Assert.Single(received);
    }
}
