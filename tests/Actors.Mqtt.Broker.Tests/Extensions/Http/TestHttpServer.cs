using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Actors.Mqtt.Broker.Tests.Extensions.Http;

/// <summary>A request the server received: its path and its JSON body.</summary>
public sealed record ReceivedRequest(string Path, JsonElement Body);

/// <summary>
/// A real HTTP server on a free port of 127.0.0.1 whose answer the test decides: <see cref="Answer"/> gives the status
/// code for each request, after as long as it likes. Requests it is still holding are let go when it is disposed.
/// </summary>
public sealed class TestHttpServer : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentQueue<ReceivedRequest> received = new();

    public TestHttpServer()
    {
        // The port is free when asked and taken a moment later: another test may take it in between, so try again.
        for (var attempt = 0; ; attempt++)
        {
            Port = FreePort();
            listener.Prefixes.Clear();
            listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }

        _ = Serve();
    }

    public int Port { get; }

    public Uri Url(string path) => new($"http://127.0.0.1:{Port}{path}");

    /// <summary>The status code to answer a request with; 200 unless the test says otherwise.</summary>
    public Func<ReceivedRequest, CancellationToken, Task<int>> Answer { get; set; } = (_, _) => Task.FromResult(200);

    public IReadOnlyList<ReceivedRequest> Received => [.. received];

    /// <summary>A server that holds every request until the test ends: later than any request timeout.</summary>
    public static async Task<int> Never(ReceivedRequest request, CancellationToken stop)
    {
        await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
        return 200;
    }

    /// <summary>A port on 127.0.0.1 where nothing listens.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        stopping.Cancel();
        listener.Close();
        stopping.Dispose();
    }

    private async Task Serve()
    {
        while (!stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Handle(context);
        }
    }

    private async Task Handle(HttpListenerContext context)
    {
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.InputStream);
            var request = new ReceivedRequest(context.Request.Url!.AbsolutePath, body.RootElement.Clone());
            received.Enqueue(request);
            context.Response.StatusCode = await Answer(request, stopping.Token);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            // The client gave up, or the server is stopping: nobody is waiting for this answer.
        }
    }
}
