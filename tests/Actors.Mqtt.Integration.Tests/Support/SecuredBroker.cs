using System.Diagnostics;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// A broker of its own with a password file made by the real <c>mosquitto_passwd</c> and an ACL file, anonymous
/// clients allowed globally but not on the <c>tcp</c> listener (the per-listener override).
/// </summary>
public sealed class SecuredBroker : IAsyncLifetime
{
    public const string Acl = """
        # anonymous clients (refused on this listener anyway)
        topic read public/#

        user alice
        topic readwrite alice/#
        topic write shared/in
        topic read shared/#
        topic deny shared/secret

        user bob
        topic read shared/#
        topic readwrite bob/#

        user carol
        topic write shared/#

        pattern readwrite clients/%c/#
        pattern read inbox/%u/#
        """;

    private readonly string folder = Directory.CreateTempSubdirectory("secured-").FullName;

    public SecuredBroker()
    {
        PasswordFile = Path.Combine(folder, "passwd");
        AclFile = Path.Combine(folder, "acl");
        Broker = new BrokerFixture
        {
            Overrides =
            [
                $"actors-mqtt.auth.password-file={PasswordFile}",
                $"actors-mqtt.auth.acl-file={AclFile}",
                "actors-mqtt.auth.allow-anonymous=true",
                "actors-mqtt.listeners.tcp.allow-anonymous=false",
                "actors-mqtt.listeners.ws.host=127.0.0.1",
                "actors-mqtt.listeners.ws.port=0",
            ],
        };
    }

    public BrokerFixture Broker { get; }

    public string PasswordFile { get; }

    public string AclFile { get; }

    public int Port => Broker.Port;

    public async Task InitializeAsync()
    {
        // alice in Mosquitto 2's $7$ format, bob in the $6$ format of Mosquitto 1.6 and earlier.
        await MosquittoPasswdAsync("-c", "-b", PasswordFile, "alice", "alice-pw");
        await MosquittoPasswdAsync("-H", "sha512", "-b", PasswordFile, "bob", "bob-pw");
        await MosquittoPasswdAsync("-b", PasswordFile, "carol", "carol-pw");
        await File.WriteAllTextAsync(AclFile, Acl);
        await Broker.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await Broker.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    public static async Task MosquittoPasswdAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("mosquitto_passwd") { RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"mosquitto_passwd failed: {error}");
    }
}
