using System.Text;
using Actors.Mqtt.Broker.Security;

namespace Actors.Mqtt.Broker.Tests.Security;

public sealed class PasswordFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("passwd-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Entries_written_by_mosquitto_passwd_in_both_formats_verify_only_their_own_password()
    {
        var path = Path.Combine(folder, "passwd");
        MosquittoPasswd.Run("-c", "-b", path, "alice", "correct horse");
        MosquittoPasswd.Run("-H", "sha512", "-b", path, "bob", "pässwörd");

        var file = PasswordFile.Load(path);

        Assert.Equal(2, file.Count);
        Assert.True(file.TryGetHash("alice", out var alice));
        Assert.Equal(PasswordHash.DefaultIterations, alice!.Iterations);
        Assert.True(alice.Verify("correct horse"u8));
        Assert.False(alice.Verify("correct horsE"u8));
        Assert.True(file.TryGetHash("bob", out var bob));
        Assert.Null(bob!.Iterations);
        Assert.True(bob.Verify(Encoding.UTF8.GetBytes("pässwörd")));
        Assert.False(bob.Verify("passwort"u8));
        Assert.False(file.TryGetHash("carol", out _));
    }

    [Fact]
    public void A_created_hash_reads_back_and_verifies_with_a_fresh_salt_each_time()
    {
        var first = PasswordHash.Create("s3cret"u8);
        var second = PasswordHash.Create("s3cret"u8);

        Assert.StartsWith("$7$101$", first.ToString(), StringComparison.Ordinal);
        Assert.NotEqual(first.ToString(), second.ToString());
        Assert.True(PasswordHash.TryParse(first.ToString(), out var read, out _));
        Assert.True(read!.Verify("s3cret"u8));
        Assert.False(read.Verify("s3cre"u8));
    }

    [Theory]
    [InlineData("alice:plain", 2, "not hashed")]
    [InlineData("alice", 2, "no ':'")]
    [InlineData(":$6$AAAA$AAAA", 2, "username is empty")]
    [InlineData("alice:$5$abc$def", 2, "unknown hash")]
    [InlineData("alice:$7$x$AAAAAAAAAAAAAAAA$AAAA", 2, "iteration count")]
    [InlineData("alice:$7$101$AAAAAAAAAAAAAAAA$AAAA", 2, "64 bytes")]
    public void A_wrong_line_names_file_line_and_problem(string entry, int line, string problem)
    {
        var good = PasswordHash.Create("x"u8);
        var error = Assert.Throws<SecurityFileException>(() => PasswordFile.Parse($"# users\n{entry}\nbob:{good}\n", "pw.txt"));

        Assert.Equal("pw.txt", error.File);
        Assert.Equal(line, error.Line);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_listed_twice_is_refused_at_the_second_line()
    {
        var hash = PasswordHash.Create("x"u8);
        var error = Assert.Throws<SecurityFileException>(() => PasswordFile.Parse($"a:{hash}\n\na:{hash}\n", "pw"));

        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void A_missing_file_is_a_security_file_error_naming_it()
    {
        var path = Path.Combine(folder, "none");
        var error = Assert.Throws<SecurityFileException>(() => PasswordFile.Load(path));

        Assert.Equal(path, error.File);
        Assert.Null(error.Line);
    }
}
