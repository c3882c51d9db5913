using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>Loads a TLS listener's files at start-up, so a missing or unusable one stops the server naming its key.</summary>
internal static class ListenerCertificates
{
    /// <summary>A PEM certificate with its PEM private key (in <paramref name="privateKeyPath"/>, or in the same file),
    /// or a PFX/PKCS#12 file (<c>.pfx</c>, <c>.p12</c>) holding both.</summary>
    public static X509Certificate2 LoadServerCertificate(
        string certificateKey,
        string certificatePath,
        string privateKeyKey,
        string? privateKeyPath,
        string? password)
    {
        var certificateFile = Existing(certificateKey, certificatePath);
        var keyFile = privateKeyPath is null ? null : Existing(privateKeyKey, privateKeyPath);
        X509Certificate2 certificate;
        try
        {
            certificate = IsPkcs12(certificateFile)
                ? X509CertificateLoader.LoadPkcs12FromFile(certificateFile, password)
                : ToPkcs12(X509Certificate2.CreateFromPemFile(certificateFile, keyFile));
        }
        catch (CryptographicException e)
        {
            var hint = keyFile is null && !IsPkcs12(certificateFile) ? $"; if the key is in a file of its own, set {privateKeyKey}" : "";
            throw new ConfigException(certificateKey, $"cannot be loaded as a certificate with its private key ({certificateFile}): {e.Message}{hint}", e);
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new ConfigException(certificateKey, null, null, $"{certificateFile} holds no private key: set {privateKeyKey}");
        }

        return certificate;
    }

    /// <summary>Every certificate in a PEM file of certificate authorities.</summary>
    public static X509Certificate2Collection LoadAuthorities(string key, string path)
    {
        var file = Existing(key, path);
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(file);
        }
        catch (CryptographicException e)
        {
            throw new ConfigException(key, $"cannot be read as PEM certificates ({file}): {e.Message}", e);
        }

        return authorities.Count > 0
            ? authorities
            : throw new ConfigException(key, null, null, $"{file} holds no PEM certificate");
    }

    private static string Existing(string key, string path)
    {
        var full = Path.GetFullPath(path);
        return File.Exists(full) ? full : throw new ConfigException(key, null, null, $"file not found: {full}");
    }

    private static bool IsPkcs12(string file) =>
        Path.GetExtension(file).ToLowerInvariant() is ".pfx" or ".p12";

    // A key created from PEM is ephemeral; SslStream on some platforms needs it in a key store, which PKCS#12 gives.
    private static X509Certificate2 ToPkcs12(X509Certificate2 fromPem)
    {
        using (fromPem)
        {
            return X509CertificateLoader.LoadPkcs12(fromPem.Export(X509ContentType.Pkcs12), null);
        }
    }
}
