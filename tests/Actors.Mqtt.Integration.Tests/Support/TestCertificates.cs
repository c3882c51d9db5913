using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// A test certificate authority, a server certificate for 127.0.0.1 and localhost, and client certificates, made at
/// run time and written as PEM files to a temporary folder (nothing is checked in).
/// </summary>
public sealed class TestCertificates : IDisposable
{
    public const string ClientCommonName = "device-42";

    private readonly DirectoryInfo directory = System.IO.Directory.CreateTempSubdirectory("actors-mqtt-tls-");

    public TestCertificates()
    {
        using var caKey = RSA.Create(2048);
        Authority = CreateAuthority("Actors.Mqtt Test CA", caKey);
        using var otherKey = RSA.Create(2048);
        using var other = CreateAuthority("Some Other CA", otherKey);

        CaFile = WritePem("ca.pem", Authority);
        OtherCaFile = WritePem("other-ca.pem", other);
        (ServerCertificateFile, ServerKeyFile) = Issue("server", "localhost", Authority, caKey, server: true);
        (ClientCertificateFile, ClientKeyFile) = Issue("client", ClientCommonName, Authority, caKey, server: false);
        (ForeignClientCertificateFile, ForeignClientKeyFile) = Issue("foreign-client", "intruder", other, otherKey, server: false);
        using var serverPem = X509Certificate2.CreateFromPemFile(ServerCertificateFile, ServerKeyFile);
        ServerPfxFile = Path.Combine(directory.FullName, "server.pfx");
        File.WriteAllBytes(ServerPfxFile, serverPem.Export(X509ContentType.Pkcs12, PfxPassword));
    }

    public const string PfxPassword = "pfx-secret";

    /// <summary>The test CA, for clients to trust.</summary>
    public X509Certificate2 Authority { get; }

    public string Directory => directory.FullName;

    public string CaFile { get; }

    public string OtherCaFile { get; }

    public string ServerCertificateFile { get; }

    public string ServerKeyFile { get; }

    public string ServerPfxFile { get; }

    public string ClientCertificateFile { get; }

    public string ClientKeyFile { get; }

    public string ForeignClientCertificateFile { get; }

    public string ForeignClientKeyFile { get; }

    /// <summary>A client certificate with its key, as a TLS client presents it.</summary>
    public static X509Certificate2 LoadClientCertificate(string certificateFile, string keyFile)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        Authority.Dispose();
        directory.Delete(recursive: true);
    }

    private static X509Certificate2 CreateAuthority(string name, RSA key)
    {
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private (string Certificate, string Key) Issue(string file, string commonName, X509Certificate2 issuer, RSA issuerKey, bool server)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")],
            false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForRSA(issuerKey, RSASignaturePadding.Pkcs1), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
        var certificatePath = WritePem($"{file}.pem", certificate);
        var keyPath = Path.Combine(directory.FullName, $"{file}.key");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    private string WritePem(string file, X509Certificate2 certificate)
    {
        var path = Path.Combine(directory.FullName, file);
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return path;
    }
}
