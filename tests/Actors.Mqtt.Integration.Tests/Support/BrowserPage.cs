using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// A tiny web server on a loopback port with one empty page and MQTT.js, as installed by <c>npm ci</c> in
/// <c>Browser/</c>; no CDN.
/// </summary>
public sealed class BrowserPage : IAsyncDisposable
{
    private const string Html = "<!doctype html><html><head><meta charset=\"utf-8\"><title>MQTT.js</title>"
        + "<script src=\"/mqtt.min.js\"></script></head><body>MQTT.js test page</body></html>";

    private readonly WebApplication app;

    private BrowserPage(WebApplication app, Uri url)
    {
        this.app = app;
        Url = url;
    }

    /// <summary>The page; once loaded, MQTT.js is the global <c>mqtt</c>.</summary>
    public Uri Url { get; }

    public static async Task<BrowserPage> StartAsync()
    {
        var script = MqttJsFile();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.MapGet("/", () => Results.Content(Html, "text/html"));
        app.MapGet("/mqtt.min.js", () => Results.File(script, "text/javascript"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new BrowserPage(app, new Uri(address.Replace("[::]", IPAddress.Loopback.ToString(), StringComparison.Ordinal) + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private static string MqttJsFile()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var browser = Path.Combine(directory.FullName, "Browser");
            if (File.Exists(Path.Combine(browser, "package.json")))
            {
                var script = Path.Combine(browser, "node_modules", "mqtt", "dist", "mqtt.min.js");
                return File.Exists(script)
                    ? script
                    : throw new FileNotFoundException($"MQTT.js is not installed: run 'npm ci' in {browser} (build.ps1 test does)", script);
            }
        }

        throw new DirectoryNotFoundException($"no Browser/package.json above {AppContext.BaseDirectory}");
    }
}
