using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// Debian's headless Chromium (<c>/usr/bin/chromium</c>), driven through its own DevTools protocol over a WebSocket:
/// open a page, wait for it to load, evaluate JavaScript in it. Nothing is downloaded.
/// </summary>
public sealed partial class Chromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly Process process;
    private readonly DirectoryInfo profile;
    private readonly ClientWebSocket socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> pending = new();
    private readonly List<(string Method, string? SessionId)> events = [];
    private readonly SemaphoreSlim sendLock = new(1);
    private readonly CancellationTokenSource stopping = new();
    private Task reading = Task.CompletedTask;
    private int nextId;

    private Chromium(Process process, DirectoryInfo profile)
    {
        this.process = process;
        this.profile = profile;
    }

    /// <summary>Starts Chromium; <paramref name="arguments"/> come on top of headless mode and a fresh profile.</summary>
    public static async Task<Chromium> LaunchAsync(params string[] arguments)
    {
        var profile = Directory.CreateTempSubdirectory("actors-mqtt-chromium-");
        var start = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        // Tests run as root (CI does), where Chromium only starts without its sandbox.
        foreach (var argument in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0", $"--user-data-dir={profile.FullName}", .. arguments, "about:blank"])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {ExecutablePath}");
        var chromium = new Chromium(process, profile);
        try
        {
            _ = process.StandardOutput.ReadToEndAsync();
            var endpoint = await DevToolsEndpointAsync(process);
            using var deadline = new CancellationTokenSource(Wait);
            await chromium.socket.ConnectAsync(endpoint, deadline.Token);
            chromium.reading = chromium.ReadAsync();
            return chromium;
        }
        catch
        {
            await chromium.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens <paramref name="url"/> in a new tab and returns its session once the page has loaded.</summary>
    public async Task<string> OpenAsync(string url)
    {
        var target = await SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" });
        var attached = await SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = target.GetProperty("targetId").GetString(), ["flatten"] = true });
        var session = attached.GetProperty("sessionId").GetString()!;
        await SendAsync("Page.enable", new JsonObject(), session);
        var loaded = WaitForEventAsync("Page.loadEventFired", session);
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url }, session);
        await loaded;
        return session;
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page, awaiting it if it is a promise, and returns its
    /// value as a string; a JavaScript exception fails the test with the page's message.</summary>
    public async Task<string> EvaluateAsync(string session, string expression)
    {
        var result = await SendAsync(
            "Runtime.evaluate",
            new JsonObject { ["expression"] = expression, ["awaitPromise"] = true, ["returnByValue"] = true },
            session);
        if (result.TryGetProperty("exceptionDetails", out var exception))
        {
            throw new InvalidOperationException($"JavaScript failed: {exception}");
        }

        var value = result.GetProperty("result");
        return value.TryGetProperty("value", out var v) ? v.ToString() : value.ToString();
    }

    /// <summary>Writes what the page shows now to <paramref name="path"/> as a PNG.</summary>
    public async Task ScreenshotAsync(string session, string path)
    {
        var shot = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true }, session);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, shot.GetProperty("data").GetBytesFromBase64());
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        try
        {
            await reading;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The browser is gone; so is its socket.
        }

        socket.Dispose();
        process.Dispose();
        sendLock.Dispose();
        stopping.Dispose();
        profile.Delete(recursive: true);
    }

    private static async Task<Uri> DevToolsEndpointAsync(Process process)
    {
        using var deadline = new CancellationTokenSource(Wait);
        var seen = new StringBuilder();
        while (await process.StandardError.ReadLineAsync(deadline.Token) is { } line)
        {
            seen.AppendLine(line);
            if (DevToolsLine().Match(line) is { Success: true } match)
            {
                _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
                return new Uri(match.Groups[1].Value);
            }
        }

        throw new InvalidOperationException($"Chromium exited without a DevTools endpoint:\n{seen}");
    }

    private async Task<JsonElement> SendAsync(string method, JsonObject parameters, string? session = null)
    {
        var id = Interlocked.Increment(ref nextId);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = answer;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        if (session is not null)
        {
            message["sessionId"] = session;
        }

        await sendLock.WaitAsync();
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, stopping.Token);
        }
        finally
        {
            sendLock.Release();
        }

        return await answer.Task.WaitAsync(Wait);
    }

    private async Task WaitForEventAsync(string method, string session)
    {
        using var deadline = new CancellationTokenSource(Wait);
        while (true)
        {
            lock (events)
            {
                if (events.Contains((method, session)))
                {
                    return;
                }
            }

            // Events are few; checking again shortly is simpler than one waiter per event kind.
            await Task.Delay(50, deadline.Token);
        }
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        while (!stopping.IsCancellationRequested)
        {
            var result = await socket.ReceiveAsync(buffer, stopping.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            using var json = JsonDocument.Parse(message.ToArray());
            message.SetLength(0);
            var root = json.RootElement;
            if (root.TryGetProperty("id", out var id) && pending.TryRemove(id.GetInt32(), out var answer))
            {
                if (root.TryGetProperty("error", out var error))
                {
                    answer.TrySetException(new InvalidOperationException($"DevTools error: {error}"));
                }
                else
                {
                    answer.TrySetResult(root.GetProperty("result").Clone());
                }
            }
            else if (root.TryGetProperty("method", out var method))
            {
                lock (events)
                {
                    events.Add((method.GetString()!, root.TryGetProperty("sessionId", out var s) ? s.GetString() : null));
                }
            }
        }
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex DevToolsLine();
}
