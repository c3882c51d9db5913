using System.Net;
using Akka.Configuration;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>
/// Reads every object under <c>actors-mqtt.listeners</c> as one listener. The four built-in names (<c>tcp</c>,
/// <c>tls</c>, <c>ws</c>, <c>wss</c>) are of their own kind; any other name says its kind with <c>kind</c>, so an
/// operator adds a second listener of a kind by naming it. A listener without a port is off.
/// </summary>
internal static class ListenerSettingsReader
{
    public const string ListenersKey = "actors-mqtt.listeners";
    public const string HttpKey = "actors-mqtt.http";
    public const string DefaultHost = "0.0.0.0";
    public const string DefaultPath = "/mqtt";

    public static IReadOnlyList<ListenerSettings> Read(Config config)
    {
        if (!config.HasPath(ListenersKey))
        {
            return [];
        }

        var listeners = new List<ListenerSettings>();
        foreach (var (name, value) in config.GetConfig(ListenersKey).Root.GetObject().Items)
        {
            var key = $"{ListenersKey}.{name}";
            if (!value.IsObject())
            {
                throw Invalid(config, key, "is not a listener: expected an object with at least a port");
            }

            if (ReadListener(config, name, key) is { } listener)
            {
                listeners.Add(listener);
            }
        }

        var clash = listeners.GroupBy(l => l.EndPoint).FirstOrDefault(g => g.Key.Port != 0 && g.Count() > 1);
        if (clash is not null)
        {
            throw Invalid(config, $"{ListenersKey}.{clash.Last().Name}.port",
                $"{clash.Key} is already the end point of listener {clash.First().Name}");
        }

        return listeners;
    }

    private static ListenerSettings? ReadListener(Config config, string name, string key)
    {
        var kind = ReadKind(config, name, key);
        if (ReadEndPoint(config, key) is not { } endPoint)
        {
            return null;
        }

        string? path = null;
        if (kind is ListenerKind.Ws or ListenerKind.Wss)
        {
            var pathKey = $"{key}.path";
            path = OptionalString(config, pathKey) ?? DefaultPath;
            if (!path.StartsWith('/'))
            {
                throw Invalid(config, pathKey, $"'{path}' is not a path: expected it to start with '/'");
            }
        }

        var tls = kind is ListenerKind.Tls or ListenerKind.Wss ? ReadTls(config, key) : null;
        return new ListenerSettings(name, kind, endPoint, path, tls)
        {
            MaxConnections = ReadMaxConnections(config, $"{key}.max-connections"),
        };
    }

    /// <summary>
    /// The end point of <c>actors-mqtt.http</c>, or null when it has no port (off). It may not share an end point with
    /// an MQTT listener.
    /// </summary>
    public static IPEndPoint? ReadHttp(Config config, IReadOnlyList<ListenerSettings> listeners)
    {
        if (ReadEndPoint(config, HttpKey) is not { } endPoint)
        {
            return null;
        }

        if (endPoint.Port != 0 && listeners.FirstOrDefault(l => l.EndPoint.Equals(endPoint)) is { } clash)
        {
            throw Invalid(config, $"{HttpKey}.port", $"{endPoint} is already the end point of listener {clash.Name}");
        }

        return endPoint;
    }

    /// <summary>The <c>host</c> and <c>port</c> under <paramref name="key"/>; null when the port is not set.</summary>
    private static IPEndPoint? ReadEndPoint(Config config, string key)
    {
        var portKey = $"{key}.port";
        var portText = OptionalString(config, portKey);
        if (string.IsNullOrEmpty(portText))
        {
            return null;
        }

        if (!int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            || port > IPEndPoint.MaxPort)
        {
            throw Invalid(config, portKey, $"{portText} is not a port: expected 0 to {IPEndPoint.MaxPort}");
        }

        var hostKey = $"{key}.host";
        var host = OptionalString(config, hostKey) ?? DefaultHost;
        return IPAddress.TryParse(host, out var address)
            ? new IPEndPoint(address, port)
            : throw Invalid(config, hostKey, $"'{host}' is not an IP address");
    }

    private static int ReadMaxConnections(Config config, string key)
    {
        var text = OptionalString(config, key);
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var max)
            ? max
            : throw Invalid(config, key, $"{text} is not a number of connections: expected 0 (no limit) to {int.MaxValue}");
    }

    private static ListenerKind ReadKind(Config config, string name, string key)
    {
        var kindKey = $"{key}.kind";
        var text = OptionalString(config, kindKey);
        if (string.IsNullOrEmpty(text))
        {
            return Enum.TryParse<ListenerKind>(name, ignoreCase: true, out var builtIn) && Enum.IsDefined(builtIn)
                ? builtIn
                : throw Invalid(config, kindKey, "is missing: a listener not named tcp, tls, ws or wss says its kind (tcp, tls, ws or wss)");
        }

        return text is "tcp" or "tls" or "ws" or "wss"
            ? Enum.Parse<ListenerKind>(text, ignoreCase: true)
            : throw Invalid(config, kindKey, $"'{text}' is not a listener kind: expected tcp, tls, ws or wss");
    }

    private static TlsSettings ReadTls(Config config, string key)
    {
        var certificateKey = $"{key}.certificate";
        var certificatePath = OptionalString(config, certificateKey);
        if (string.IsNullOrEmpty(certificatePath))
        {
            throw Invalid(config, certificateKey, "is missing: a TLS listener needs its certificate (PEM or PFX)");
        }

        var privateKeyKey = $"{key}.private-key";
        var passwordKey = $"{key}.certificate-password";
        var certificate = ListenerCertificates.LoadServerCertificate(
            certificateKey,
            certificatePath,
            privateKeyKey,
            NullIfEmpty(OptionalString(config, privateKeyKey)),
            NullIfEmpty(OptionalString(config, passwordKey)));

        var caKey = $"{key}.ca-file";
        var caPath = NullIfEmpty(OptionalString(config, caKey));
        var authorities = caPath is null ? null : ListenerCertificates.LoadAuthorities(caKey, caPath);

        var require = OptionalBool(config, $"{key}.require-client-certificate");
        var identityKey = $"{key}.use-identity-as-username";
        var useIdentity = OptionalBool(config, identityKey);
        if (useIdentity && !require)
        {
            // As in Mosquitto: without a required certificate a client could pick its user name by sending none.
            throw Invalid(config, identityKey, $"needs {key}.require-client-certificate = true");
        }

        return new TlsSettings(certificate, authorities, require, useIdentity);
    }

    private static string? OptionalString(Config config, string key)
    {
        if (!config.HasPath(key))
        {
            return null;
        }

        try
        {
            var value = config.GetValue(key);
            return value is null || value.IsEmpty ? null : value.GetString();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ConfigException(key, $"has a value of the wrong type: {e.Message}", e);
        }
    }

    private static bool OptionalBool(Config config, string key) =>
        OptionalString(config, key) switch
        {
            null or "" or "false" or "off" or "no" => false,
            "true" or "on" or "yes" => true,
            var other => throw Invalid(config, key, $"'{other}' is not a boolean: expected true or false"),
        };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static ConfigException Invalid(Config config, string key, string problem) => ConfigSource.Of(config).Error(key, problem);
}
