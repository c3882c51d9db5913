namespace Actors.Mqtt.Broker.Security;

/// <summary>
/// A password file in <c>mosquitto_passwd</c>'s format: one <c>username:hash</c> a line. Blank lines and lines
/// starting with <c>#</c> are skipped; a line that cannot be used stops the whole file, so a typo never locks
/// out or lets in one user silently.
/// </summary>
public sealed class PasswordFile
{
    private readonly Dictionary<string, PasswordHash> users;

    private PasswordFile(Dictionary<string, PasswordHash> users) => this.users = users;

    public int Count => users.Count;

    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    /// <exception cref="SecurityFileException">The file cannot be read or a line is wrong.</exception>
    public static PasswordFile Load(string path) => Parse(SecurityFileText.Read(path), path);

    /// <exception cref="SecurityFileException">A line is wrong; the message names <paramref name="source"/> and the line.</exception>
    public static PasswordFile Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var users = new Dictionary<string, PasswordHash>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            if (!TryReadEntry(raw, out var user, out var encoded))
            {
                continue;
            }

            if (user is null)
            {
                throw new SecurityFileException(source, number, "expected username:hash (no ':' on the line)");
            }

            if (user.Length == 0)
            {
                throw new SecurityFileException(source, number, "the username is empty");
            }

            if (!PasswordHash.TryParse(encoded!, out var hash, out var problem))
            {
                throw new SecurityFileException(source, number, $"user '{user}': {problem}");
            }

            if (!users.TryAdd(user, hash!))
            {
                throw new SecurityFileException(source, number, $"user '{user}' is listed twice");
            }
        }

        return new PasswordFile(users);
    }

    /// <summary>
    /// Splits one line into user and hash. False for a line that holds no entry (blank or comment); a non-blank
    /// line without ':' gives a null user.
    /// </summary>
    public static bool TryReadEntry(string line, out string? user, out string? hash)
    {
        ArgumentNullException.ThrowIfNull(line);
        user = null;
        hash = null;
        var trimmed = line.TrimEnd('\r');
        if (trimmed.Trim().Length == 0 || trimmed.StartsWith('#'))
        {
            return false;
        }

        var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            user = trimmed[..colon];
            hash = trimmed[(colon + 1)..].Trim();
        }

        return true;
    }

    public bool TryGetHash(string user, out PasswordHash? hash) => users.TryGetValue(user, out hash);
}
