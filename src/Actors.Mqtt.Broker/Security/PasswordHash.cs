using System.Globalization;
using System.Security.Cryptography;

namespace Actors.Mqtt.Broker.Security;

/// <summary>
/// One hashed password in <c>mosquitto_passwd</c>'s format: <c>$7$iterations$salt$hash</c> (PBKDF2 with
/// HMAC-SHA512, Mosquitto 2.0's default) or <c>$6$salt$hash</c> (one SHA-512 of password then salt, written by
/// Mosquitto 1.6 and earlier), salt and hash in base64.
/// </summary>
public sealed class PasswordHash
{
    /// <summary>Mosquitto's own default, so files written here cost the same to check as files it writes.</summary>
    public const int DefaultIterations = 101;

    /// <summary>Above this a single CONNECT would cost seconds of CPU; such a line is refused rather than served.</summary>
    public const int MaxIterations = 10_000_000;

    private const int SaltBytes = 12;
    private const int HashBytes = 64;

    private readonly byte[] salt;
    private readonly byte[] hash;

    private PasswordHash(int? iterations, byte[] salt, byte[] hash)
    {
        Iterations = iterations;
        this.salt = salt;
        this.hash = hash;
    }

    /// <summary>PBKDF2 iterations of a <c>$7$</c> entry; null for a <c>$6$</c> one.</summary>
    public int? Iterations { get; }

    /// <summary>A new <c>$7$</c> hash of <paramref name="password"/> with a fresh random salt.</summary>
    public static PasswordHash Create(ReadOnlySpan<byte> password, int iterations = DefaultIterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return new PasswordHash(iterations, salt, Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA512, HashBytes));
    }

    /// <summary>Reads the part after <c>username:</c>; <paramref name="problem"/> says what is wrong otherwise.</summary>
    public static bool TryParse(string text, out PasswordHash? result, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        result = null;
        var parts = text.Split('$');
        if (parts is ["", "7", var iterationText, var saltText, var hashText])
        {
            if (!int.TryParse(iterationText, NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations is < 1 or > MaxIterations)
            {
                problem = $"'{iterationText}' is not an iteration count from 1 to {MaxIterations}";
                return false;
            }

            return TryDecode(saltText, hashText, iterations, out result, out problem);
        }

        if (parts is ["", "6", var salt6, var hash6])
        {
            return TryDecode(salt6, hash6, null, out result, out problem);
        }

        problem = text.StartsWith('$')
            ? "unknown hash: expected $7$ (sha512-pbkdf2) or $6$ (sha512) as written by mosquitto_passwd"
            : "the password is not hashed: hash the file with mosquitto_passwd -U, or add users with the passwd command";
        return false;
    }

    /// <summary>True when <paramref name="password"/> is the one hashed here; compares in constant time.</summary>
    public bool Verify(ReadOnlySpan<byte> password)
    {
        Span<byte> computed = stackalloc byte[HashBytes];
        if (Iterations is { } iterations)
        {
            Rfc2898DeriveBytes.Pbkdf2(password, salt, computed, iterations, HashAlgorithmName.SHA512);
        }
        else
        {
            var input = new byte[password.Length + salt.Length];
            password.CopyTo(input);
            salt.CopyTo(input.AsSpan(password.Length));
            SHA512.HashData(input, computed);
            CryptographicOperations.ZeroMemory(input);
        }

        return hash.Length == HashBytes && CryptographicOperations.FixedTimeEquals(computed, hash);
    }

    /// <summary>The entry as <c>mosquitto_passwd</c> writes it after <c>username:</c>.</summary>
    public override string ToString() => Iterations is { } iterations
        ? $"$7${iterations.ToString(CultureInfo.InvariantCulture)}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}"
        : $"$6${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";

    private static bool TryDecode(string saltText, string hashText, int? iterations, out PasswordHash? result, out string problem)
    {
        result = null;
        var salt = new byte[saltText.Length];
        var hash = new byte[hashText.Length];
        if (!Convert.TryFromBase64String(saltText, salt, out var saltLength) || saltLength == 0)
        {
            problem = "the salt is not base64";
            return false;
        }

        if (!Convert.TryFromBase64String(hashText, hash, out var hashLength) || hashLength != HashBytes)
        {
            problem = $"the hash is not {HashBytes} bytes of base64";
            return false;
        }

        result = new PasswordHash(iterations, salt[..saltLength], hash[..hashLength]);
        problem = string.Empty;
        return true;
    }
}
