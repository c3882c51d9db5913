using System.CommandLine;
using System.Text;
using Actors.Mqtt.Broker.Security;

namespace Actors.Mqtt.Server.Commands;

/// <summary>
/// <c>actors-mqtt passwd FILE USER</c>: adds or updates a user in a password file, or deletes one, like
/// <c>mosquitto_passwd</c>. It writes <c>$7$</c> (PBKDF2-SHA512) entries, which Mosquitto 2.0 reads too, and keeps every
/// other line as it was. The password is asked twice on a terminal, read from one line of standard input otherwise,
/// or given with <c>--password</c> (visible to other users of the machine: for scripts only).
/// </summary>
public static class PasswdCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "The password file (mosquitto_passwd format)" };
        var user = new Argument<string>("username") { Description = "The user to add, update or delete" };
        var delete = new Option<bool>("--delete", "-D") { Description = "Delete the user instead" };
        var create = new Option<bool>("--create", "-c") { Description = "Start a new file, replacing any existing one" };
        var password = new Option<string?>("--password", "-b") { Description = "The password (else asked for, or read from standard input)" };
        var iterations = new Option<int>("--iterations", "-I")
        {
            Description = $"PBKDF2 iterations (default {PasswordHash.DefaultIterations}, as mosquitto_passwd)",
            DefaultValueFactory = _ => PasswordHash.DefaultIterations,
        };
        var command = new Command("passwd", "Add, update or delete a user in a password file (like mosquitto_passwd)")
        {
            file,
            user,
            delete,
            create,
            password,
            iterations,
        };
        command.SetAction(parse => Run(
            parse.GetValue(file)!.FullName,
            parse.GetValue(user)!,
            parse.GetValue(delete),
            parse.GetValue(create),
            parse.GetValue(password),
            parse.GetValue(iterations)));
        return command;
    }

    private static int Run(string path, string user, bool delete, bool create, string? password, int iterations)
    {
        if (user.Length == 0 || user.Contains(':', StringComparison.Ordinal) || user.Any(char.IsControl))
        {
            return Fail(1, "a username must not be empty, nor contain ':' or control characters");
        }

        if (iterations is < 1 or > PasswordHash.MaxIterations)
        {
            return Fail(1, $"--iterations must be from 1 to {PasswordHash.MaxIterations}");
        }

        var lines = new List<string>();
        if (!create && File.Exists(path))
        {
            try
            {
                var text = File.ReadAllText(path, Encoding.UTF8);

                // A file this command cannot read must not be rewritten: it would lose what it did not understand.
                PasswordFile.Parse(text, path);
                lines.AddRange(text.Split('\n'));
                if (lines[^1].Length == 0)
                {
                    lines.RemoveAt(lines.Count - 1);
                }
            }
            catch (SecurityFileException e)
            {
                return Fail(2, e.Message);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Fail(2, $"{path}: cannot be read: {e.Message}");
            }
        }

        var index = lines.FindIndex(line => PasswordFile.TryReadEntry(line, out var name, out _) && name == user);
        if (delete)
        {
            if (index < 0)
            {
                return Fail(1, $"user '{user}' is not in {path}");
            }

            lines.RemoveAt(index);
        }
        else
        {
            if ((password ?? ReadPassword()) is not { } secret)
            {
                return Fail(1, "the passwords do not match, or none was given");
            }

            var entry = $"{user}:{PasswordHash.Create(Encoding.UTF8.GetBytes(secret), iterations)}";
            if (index >= 0)
            {
                lines[index] = entry;
            }
            else
            {
                lines.Add(entry);
            }
        }

        try
        {
            Write(path, lines);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(2, $"{path}: cannot be written: {e.Message}");
        }

        return 0;
    }

    /// <summary>
    /// Writes a new file beside the old one and renames it over, so a broker watching the file never reads half of
    /// it. The old file's permissions are kept; a new file is readable by its owner only.
    /// </summary>
    private static void Write(string path, List<string> lines)
    {
        var temporary = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(temporary, string.Concat(lines.Select(line => line + "\n")), new UTF8Encoding(false));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, File.Exists(path) ? File.GetUnixFileMode(path) : UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static string? ReadPassword()
    {
        if (Console.IsInputRedirected)
        {
            return Console.In.ReadLine();
        }

        var first = Prompt("Password: ");
        var second = Prompt("Reenter password: ");
        return first == second && first.Length > 0 ? first : null;
    }

    private static string Prompt(string label)
    {
        Console.Error.Write(label);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                text.Length = Math.Max(0, text.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"actors-mqtt passwd: {message}");
        return code;
    }
}
