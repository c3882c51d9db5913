using Actors.Mqtt.Broker.Security;

namespace Actors.Mqtt.Broker.Tests.Security;

public sealed class AclFileTests
{
    private const string Example = """
        # anonymous clients
        topic read public/#

        user alice
        topic readwrite home/alice/#
        topic deny home/alice/secret
        topic write sensors/+/temperature
        topic a topic with spaces

        user bob
        topic read home/#

        pattern write devices/%c/state
        pattern read users/%u/inbox/#
        """;

    private static readonly AclFile File = AclFile.Parse(Example, "acl");

    [Fact]
    public void Anonymous_rules_are_the_ones_before_the_first_user_line()
    {
        var anonymous = File.For("c1", null);

        Assert.True(anonymous.MayReceive("public/news"));
        Assert.False(anonymous.MayPublish("public/news"));
        Assert.False(anonymous.MayReceive("home/alice/x"));
    }

    [Fact]
    public void A_user_gets_its_own_rules_and_a_deny_wins_over_a_grant()
    {
        var alice = File.For("c1", "alice");

        Assert.True(alice.MayPublish("home/alice/lamp"));
        Assert.True(alice.MayReceive("home/alice/lamp"));
        Assert.False(alice.MayReceive("home/alice/secret"));
        Assert.False(alice.MayPublish("home/alice/secret"));
        Assert.True(alice.MayPublish("sensors/kitchen/temperature"));
        Assert.False(alice.MayReceive("sensors/kitchen/temperature"));
        Assert.True(alice.MayPublish("a topic with spaces"));
        Assert.False(alice.MayReceive("public/news"));
        Assert.False(File.For("c1", "mallory").MayReceive("home/alice/lamp"));
    }

    [Fact]
    public void Patterns_apply_to_every_client_with_its_own_client_id_and_username()
    {
        var bob = File.For("dev-7", "bob");

        Assert.True(bob.MayPublish("devices/dev-7/state"));
        Assert.False(bob.MayPublish("devices/dev-8/state"));
        Assert.True(bob.MayReceive("users/bob/inbox/1"));
        Assert.False(bob.MayReceive("users/alice/inbox/1"));

        // %u never matches a client without a username; %c still does.
        var anonymous = File.For("dev-9", null);
        Assert.True(anonymous.MayPublish("devices/dev-9/state"));
        Assert.False(anonymous.MayReceive("users//inbox/1"));
    }

    [Theory]
    [InlineData("#")]
    [InlineData("+")]
    [InlineData("a/b")]
    public void A_client_id_that_is_a_wildcard_or_spans_levels_gets_nothing_from_a_pattern(string clientId)
    {
        var acl = File.For(clientId, null);

        Assert.False(acl.MayPublish("devices/x/state"));
        Assert.False(acl.MayPublish("devices/a/b/state"));
    }

    [Theory]
    [InlineData("home/#", true)]
    [InlineData("home/alice/+", true)]
    [InlineData("#", true)]
    [InlineData("public/#", false)]
    [InlineData("home/alice/secret", false)]
    [InlineData("sensors/+/temperature", false)]
    public void A_subscription_is_refused_when_it_could_never_deliver_anything(string filter, bool allowed)
    {
        Assert.Equal(allowed, File.For("c1", "alice").MaySubscribe(filter));
    }

    [Theory]
    [InlineData("a/#", "a/+/c", true)]
    [InlineData("a/#", "a", true)]
    [InlineData("a/+/c", "a/#", false)]
    [InlineData("a/+", "a/b", true)]
    [InlineData("a/b", "a/+", false)]
    [InlineData("#", "$SYS/x", false)]
    [InlineData("$SYS/#", "$SYS/x", true)]
    public void Covers_means_every_topic_of_the_filter_matches_the_rule(string rule, string filter, bool covers)
    {
        Assert.Equal(covers, ClientAcl.Covers(rule, filter));
    }

    [Theory]
    [InlineData("a/#", "#", true)]
    [InlineData("a/+/c", "a/b/#", true)]
    [InlineData("a/b", "a/c", false)]
    [InlineData("a/#", "a", true)]
    [InlineData("a/b", "a/b/c", false)]
    [InlineData("+/x", "$SYS/x", false)]
    public void Overlaps_means_some_topic_matches_both(string first, string second, bool overlaps)
    {
        Assert.Equal(overlaps, ClientAcl.Overlaps(first, second));
        Assert.Equal(overlaps, ClientAcl.Overlaps(second, first));
    }

    [Theory]
    [InlineData("topic", 3, "needs a topic filter")]
    [InlineData("topic read", 3, "needs a topic filter")]
    [InlineData("user", 3, "needs a username")]
    [InlineData("topic read a/#/b", 3, "not a topic filter")]
    [InlineData("topics read a", 3, "not a keyword")]
    public void A_wrong_line_names_file_and_line(string line, int number, string problem)
    {
        var error = Assert.Throws<SecurityFileException>(() => AclFile.Parse($"# acl\ntopic read x\n{line}\n", "acl.conf"));

        Assert.Equal("acl.conf", error.File);
        Assert.Equal(number, error.Line);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
    }
}
