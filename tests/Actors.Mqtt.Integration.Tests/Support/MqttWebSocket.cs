using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>A bare WebSocket to the broker: the test chooses every frame it sends and reads the bytes that come back.</summary>
public sealed class MqttWebSocket : IDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);
    private readonly List<byte> received = [];

    private MqttWebSocket(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    /// <summary>The close status the broker sent, once a read saw its close frame.</summary>
    public WebSocketCloseStatus? CloseStatus => Socket.CloseStatus;

    public static async Task<MqttWebSocket> ConnectAsync(Uri uri, X509Certificate2? trustedAuthority = null, params string[] subProtocols)
    {
        var socket = new ClientWebSocket();
        foreach (var subProtocol in subProtocols)
        {
            socket.Options.AddSubProtocol(subProtocol);
        }

        if (trustedAuthority is not null)
        {
            socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(trustedAuthority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var server = X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData());
                return chain.Build(server);
            };
        }

        try
        {
            using var deadline = new CancellationTokenSource(DefaultWait);
            await socket.ConnectAsync(uri, deadline.Token);
            return new MqttWebSocket(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="bytes"/> as one frame; <paramref name="endOfMessage"/> false leaves the message open
    /// for a continuation frame.</summary>
    public Task SendAsync(byte[] bytes, bool endOfMessage = true, WebSocketMessageType type = WebSocketMessageType.Binary) =>
        Socket.SendAsync(bytes, type, endOfMessage, CancellationToken.None);

    /// <summary>Reads until <paramref name="count"/> bytes have arrived, whatever the frames, and returns them.</summary>
    public async Task<byte[]> ReceiveAsync(int count)
    {
        using var deadline = new CancellationTokenSource(DefaultWait);
        var buffer = new byte[4096];
        while (received.Count < count)
        {
            var result = await Socket.ReceiveAsync(buffer, deadline.Token);
            Assert.True(result.MessageType == WebSocketMessageType.Binary, $"expected a binary message, got {result.MessageType} {Socket.CloseStatus} {Socket.CloseStatusDescription}");
            received.AddRange(buffer.AsSpan(0, result.Count));
        }

        var bytes = received.GetRange(0, count).ToArray();
        received.RemoveRange(0, count);
        return bytes;
    }

    /// <summary>Reads until the broker's close frame and returns its status.</summary>
    public async Task<WebSocketCloseStatus?> ReceiveCloseAsync()
    {
        using var deadline = new CancellationTokenSource(DefaultWait);
        var buffer = new byte[4096];
        while (true)
        {
            var result = await Socket.ReceiveAsync(buffer, deadline.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return result.CloseStatus;
            }
        }
    }

    public void Dispose() => Socket.Dispose();
}
