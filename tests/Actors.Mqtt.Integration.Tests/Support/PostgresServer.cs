using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// A real PostgreSQL server for the test run: Debian's binaries, a fresh cluster in a temp folder, a free loopback
/// port, stopped and removed at the end. PostgreSQL refuses to run as root, so as root it runs as the postgres user
/// on a folder that user owns.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "actors-mqtt-pg-" + Guid.NewGuid().ToString("N")[..12]);
    private string bin = string.Empty;
    private int port;

    private string DataDirectory => Path.Combine(folder, "data");

    public async Task InitializeAsync()
    {
        var versions = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [];
        bin = versions.Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "pg_ctl")))
            .OrderByDescending(b => b, StringComparer.Ordinal).FirstOrDefault()
            ?? throw new InvalidOperationException("PostgreSQL is not installed (Debian package postgresql; build.ps1 test installs it)");
        Directory.CreateDirectory(folder);
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", ["postgres:postgres", folder]);
        }

        port = FreePort();
        await RunAsPostgresAsync("initdb", ["-D", DataDirectory, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
        await StartAsync();
    }

    /// <summary>Stops the server (fast shutdown), as an outage of the database would look to the broker.</summary>
    public Task StopAsync() => RunAsPostgresAsync("pg_ctl", ["stop", "-w", "-m", "fast", "-D", DataDirectory]);

    /// <summary>Starts it again on the same port after <see cref="StopAsync"/>.</summary>
    public Task StartAsync() => RunAsPostgresAsync("pg_ctl", [
        "start", "-w", "-t", "60", "-D", DataDirectory, "-l", Path.Combine(folder, "server.log"),
        "-o", $"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder}",
    ]);

    /// <summary>A new empty database, so that each test starts from nothing.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "mqtt_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return ConnectionString(name);
    }

    public async Task DisposeAsync()
    {
        if (bin.Length > 0 && Directory.Exists(DataDirectory))
        {
            await RunAsPostgresAsync("pg_ctl", ["stop", "-w", "-m", "fast", "-D", DataDirectory]);
        }

        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Left to the system's temp cleaning.
        }
    }

    private string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "postgres", Database = database }.ToString();

    private Task RunAsPostgresAsync(string tool, string[] args) =>
        Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, tool), .. args])
            : RunAsync(Path.Combine(bin, tool), args);

    private static async Task RunAsync(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
