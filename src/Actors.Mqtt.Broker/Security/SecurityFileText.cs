using System.Text;

namespace Actors.Mqtt.Broker.Security;

/// <summary>Reads a password or ACL file whole, bounded in size so a wrong path cannot load gigabytes.</summary>
internal static class SecurityFileText
{
    public const long MaxBytes = 64L * 1024 * 1024;

    public static string Read(string path)
    {
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxBytes)
            {
                throw new SecurityFileException(path, null, $"is {length} bytes, more than the limit of {MaxBytes}");
            }

            return File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SecurityFileException(path, $"cannot be read: {e.Message}", e);
        }
    }
}
