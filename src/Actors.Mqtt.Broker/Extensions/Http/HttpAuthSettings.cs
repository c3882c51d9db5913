using System.Globalization;
using Akka.Configuration;

namespace Actors.Mqtt.Broker.Extensions.Http;

/// <summary>The <c>config</c> block of an <see cref="HttpAuthExtension"/> entry.</summary>
/// <param name="AuthenticateUrl">Where CONNECTs are posted; null when the extension does not authenticate.</param>
/// <param name="AuthorizeUrl">Where PUBLISHes and SUBSCRIBEs are posted; null when the extension does not authorize.</param>
/// <param name="RequestTimeout">How long one request may take; kept below the entry's <c>timeout</c> so a slow server
/// gives no opinion rather than the entry's <c>on-timeout</c> answer.</param>
/// <param name="CacheTtl">How long an allow or deny is kept; zero keeps none.</param>
/// <param name="MaxInFlight">Requests waiting for the server at once; a question beyond them has no opinion.</param>
public sealed record HttpAuthSettings(
    Uri? AuthenticateUrl,
    Uri? AuthorizeUrl,
    TimeSpan RequestTimeout,
    TimeSpan CacheTtl,
    int CacheMaxEntries,
    int MaxInFlight)
{
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultCacheTtl = TimeSpan.FromSeconds(60);
    public const int DefaultCacheMaxEntries = 10000;
    public const int DefaultMaxInFlight = 100;

    /// <summary>Reads the block, every key optional but one of the URLs; an error names the extension and the key.</summary>
    public static HttpAuthSettings Read(ExtensionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var c = context.Config;
        var settings = new HttpAuthSettings(
            Url(c, "authenticate-url", context.Name),
            Url(c, "authorize-url", context.Name),
            Duration(c, "request-timeout", DefaultRequestTimeout, context.Name),
            Duration(c, "cache-ttl", DefaultCacheTtl, context.Name),
            Count(c, "cache-max-entries", DefaultCacheMaxEntries, context.Name),
            Count(c, "max-in-flight", DefaultMaxInFlight, context.Name));
        if (settings.AuthenticateUrl is null && settings.AuthorizeUrl is null)
        {
            throw Invalid(context.Name, "authenticate-url", "empty, and so is config.authorize-url: set at least one of them to an http:// or https:// URL");
        }

        if (settings.RequestTimeout <= TimeSpan.Zero)
        {
            throw Invalid(context.Name, "request-timeout", "must be longer than 0");
        }

        if (settings.MaxInFlight == 0)
        {
            throw Invalid(context.Name, "max-in-flight", "must be at least 1");
        }

        return settings;
    }

    private static Uri? Url(Config c, string key, string name)
    {
        var text = c.HasPath(key) ? c.GetString(key) : "";
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            ? url
            : throw Invalid(name, key, $"'{text}' is not an http:// or https:// URL");
    }

    private static TimeSpan Duration(Config c, string key, TimeSpan fallback, string name)
    {
        if (!c.HasPath(key))
        {
            return fallback;
        }

        TimeSpan value;
        try
        {
            value = c.GetTimeSpan(key);
        }
        catch (Exception e) when (e is FormatException or ConfigurationException or OverflowException)
        {
            throw Invalid(name, key, $"'{c.GetString(key)}' is not a duration such as 2s or 500ms");
        }

        return value >= TimeSpan.Zero ? value : throw Invalid(name, key, "must not be negative");
    }

    private static int Count(Config c, string key, int fallback, string name)
    {
        if (!c.HasPath(key))
        {
            return fallback;
        }

        return int.TryParse(c.GetString(key), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw Invalid(name, key, $"'{c.GetString(key)}' is not a whole number of 0 or more");
    }

    private static ConfigurationException Invalid(string name, string key, string problem) =>
        new($"extension {name}: config.{key}: {problem}");
}
