namespace Actors.Mqtt.Broker.Security;

/// <summary>
/// An ACL file in Mosquitto's syntax. <c>topic [read|write|readwrite|deny] filter</c> lines before the first
/// <c>user name</c> line apply to clients without a username, later ones to that user; <c>pattern</c> lines apply to
/// every client, with <c>%c</c> and <c>%u</c> levels replaced by its client id and username. Without an access word
/// a line grants read and write. Lines starting with <c>#</c> are comments.
/// </summary>
public sealed class AclFile
{
    private static readonly IReadOnlyList<AclRule> None = [];
    private readonly Dictionary<string, List<AclRule>> users;

    private AclFile(List<AclRule> anonymous, Dictionary<string, List<AclRule>> users, List<AclRule> patterns)
    {
        Anonymous = anonymous;
        this.users = users;
        Patterns = patterns;
    }

    public IReadOnlyList<AclRule> Anonymous { get; }

    public IReadOnlyList<AclRule> Patterns { get; }

    /// <exception cref="SecurityFileException">The file cannot be read or a line is wrong.</exception>
    public static AclFile Load(string path) => Parse(SecurityFileText.Read(path), path);

    /// <exception cref="SecurityFileException">A line is wrong; the message names <paramref name="source"/> and the line.</exception>
    public static AclFile Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var anonymous = new List<AclRule>();
        var users = new Dictionary<string, List<AclRule>>(StringComparer.Ordinal);
        var patterns = new List<AclRule>();
        var current = anonymous;
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var (keyword, rest) = SplitWord(line);
            switch (keyword)
            {
                case "user":
                    if (rest.Length == 0)
                    {
                        throw new SecurityFileException(source, number, "'user' needs a username");
                    }

                    if (!users.TryGetValue(rest, out current))
                    {
                        current = [];
                        users[rest] = current;
                    }

                    break;
                case "topic":
                    current.Add(ReadRule(rest, source, number, isPattern: false));
                    break;
                case "pattern":
                    patterns.Add(ReadRule(rest, source, number, isPattern: true));
                    break;
                default:
                    throw new SecurityFileException(source, number, $"'{keyword}' is not a keyword: expected user, topic or pattern");
            }
        }

        return new AclFile(anonymous, users, patterns);
    }

    /// <summary>The <c>topic</c> rules of <paramref name="user"/>, or of anonymous clients when it is null.</summary>
    public IReadOnlyList<AclRule> TopicRulesFor(string? user) =>
        user is null ? Anonymous : users.TryGetValue(user, out var rules) ? rules : None;

    /// <summary>The rules that apply to one client, patterns resolved, ready to check each packet against.</summary>
    /// <param name="generation">Which load of the file this is, counted by the <see cref="AclActor"/>.</param>
    public ClientAcl For(string clientId, string? user, long generation = 0) => new(this, clientId, user, generation);

    private static AclRule ReadRule(string rest, string source, int number, bool isPattern)
    {
        var (word, filter) = SplitWord(rest);
        AclAccess? access = word switch
        {
            "read" => AclAccess.Read,
            "write" => AclAccess.Write,
            "readwrite" => AclAccess.ReadWrite,
            "deny" => AclAccess.Deny,
            _ => null,
        };
        if (access is null)
        {
            // Without an access word the whole rest is the filter, which may then hold spaces.
            filter = rest;
        }

        if (filter.Length == 0)
        {
            throw new SecurityFileException(source, number, $"'{(isPattern ? "pattern" : "topic")}' needs a topic filter");
        }

        if (!Protocol.Topics.TopicFilter.TryParse(filter, allowShared: false, out _, out var error))
        {
            throw new SecurityFileException(source, number, $"'{filter}' is not a topic filter: {error.Message}");
        }

        return new AclRule(access ?? AclAccess.ReadWrite, filter, number);
    }

    private static (string Word, string Remainder) SplitWord(string text)
    {
        var space = text.IndexOfAny([' ', '\t']);
        return space < 0 ? (text, string.Empty) : (text[..space], text[(space + 1)..].Trim());
    }
}
