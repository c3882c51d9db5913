using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Actors.Mqtt.Server.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Actors.Mqtt.Server.Listeners;

/// <summary>Kestrel's TLS settings for a TLS or WSS listener: TLS 1.2 and 1.3 only, and client certificates as configured.</summary>
internal static partial class TlsListenerOptions
{
    public static HttpsConnectionAdapterOptions Create(ListenerSettings listener, ILogger logger)
    {
        var tls = listener.Tls ?? throw new ArgumentException($"listener {listener.Name} has no TLS settings", nameof(listener));
        return new HttpsConnectionAdapterOptions
        {
            ServerCertificate = tls.Certificate,
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateMode = tls.RequireClientCertificate ? ClientCertificateMode.RequireCertificate
                : tls.ClientCertificateAuthorities is null ? ClientCertificateMode.NoCertificate
                : ClientCertificateMode.AllowCertificate,
            // Mosquitto checks revocation only against a configured CRL; a broker on a closed network cannot fetch one.
            CheckCertificateRevocation = false,
            ClientCertificateValidation = (certificate, chain, errors) =>
            {
                var trusted = IsTrusted(tls, certificate, chain, errors);
                if (!trusted)
                {
                    LogRefused(logger, listener.Name, certificate.Subject, certificate.Issuer);
                }

                return trusted;
            },
        };
    }

    /// <summary>The common name of a client certificate, the user name under <c>use-identity-as-username</c>.</summary>
    public static string? Identity(X509Certificate2? certificate)
    {
        var name = certificate?.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return string.IsNullOrEmpty(name) ? null : name;
    }

    private static bool IsTrusted(TlsSettings tls, X509Certificate2 certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (tls.ClientCertificateAuthorities is not { } authorities)
        {
            return errors == SslPolicyErrors.None;
        }

        // Only the configured CAs count, not the system's: the CA file says who may connect.
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(authorities);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return custom.Build(certificate);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Listener}: client certificate {Subject} issued by {Issuer} refused: it does not chain to a trusted CA")]
    private static partial void LogRefused(ILogger logger, string listener, string subject, string issuer);
}
