using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>MQTTnet TLS options that trust only the test CA, as a device provisioned with that CA would.</summary>
public static class TlsClient
{
    public static MqttClientOptionsBuilder Configure(
        MqttClientOptionsBuilder options,
        TestCertificates certificates,
        int port,
        SslProtocols protocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        X509Certificate2? clientCertificate = null) =>
        ConfigureTls(options.WithTcpServer("127.0.0.1", port), certificates, protocols, clientCertificate);

    /// <summary>TLS on whatever transport <paramref name="options"/> already has (TCP or WebSocket).</summary>
    public static MqttClientOptionsBuilder ConfigureTls(
        MqttClientOptionsBuilder options,
        TestCertificates certificates,
        SslProtocols protocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        X509Certificate2? clientCertificate = null) =>
        options
            .WithTlsOptions(tls =>
            {
                tls.UseTls()
                    .WithSslProtocols(protocols)
                    .WithTargetHost("localhost")
                    .WithCertificateValidationHandler(e => IsTrustedServer(certificates.Authority, e.Certificate, e.SslPolicyErrors));
                if (clientCertificate is not null)
                {
                    tls.WithClientCertificates([clientCertificate]);
                }
            });

    private static bool IsTrustedServer(X509Certificate2 authority, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(server);
    }
}
