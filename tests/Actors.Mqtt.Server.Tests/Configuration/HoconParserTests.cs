using Actors.Mqtt.Server.Configuration;
using Actors.Mqtt.Server.Configuration.Hocon;
using Akka.Configuration;

namespace Actors.Mqtt.Server.Tests.Configuration;

public sealed class HoconParserTests
{
    // Akka's parser loops forever on some of what ours must refuse, so every parse here runs under a deadline.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("a {\n  port = [1, 2\n}\n", 2, 10, "'[' is never closed")]
    [InlineData("a {\n  b {\n    c = 1\n  \n", 2, 5, "'{' is never closed")]
    [InlineData("a = 1\n}\n", 2, 1, "'}' has no matching '{'")]
    [InlineData("a {\n  host = \"0.0.0.0\n  port = 1883\n}\n", 2, 10, "string is not closed")]
    [InlineData("a = 1\nb = \"\"\"first\nsecond\n", 2, 5, "triple-quoted string is never closed")]
    [InlineData("a = ${b\nc = 1\n", 1, 5, "substitution")]
    [InlineData("a = \"\"\"x\ny \"\"\"\"\nb = 1\n", 2, 3, "more than three quotes")]
    public async Task Refuses_with_line_and_column(string text, int line, int column, string problem)
    {
        var error = await Assert.ThrowsAsync<ConfigException>(() => ParseWithDeadline(text, "broker.conf"));

        Assert.Equal("broker.conf", error.Origin);
        Assert.Equal(line, error.Line);
        Assert.Equal(column, error.Column);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"broker.conf:{line}:{column}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_nesting_deeper_than_the_limit_where_it_goes_too_deep()
    {
        var text = "a = " + new string('[', HoconLimits.MaxDepth + 1) + new string(']', HoconLimits.MaxDepth + 1);

        var error = await Assert.ThrowsAsync<ConfigException>(() => ParseWithDeadline(text, "deep.conf"));

        Assert.Equal(1, error.Line);
        Assert.Equal(5 + HoconLimits.MaxDepth, error.Column);
        Assert.Contains("deeper than", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accepts_nesting_at_the_limit()
    {
        var text = string.Concat(Enumerable.Repeat("a {", HoconLimits.MaxDepth)) + "b = 1"
            + new string('}', HoconLimits.MaxDepth);

        var config = await ParseWithDeadline(text, "deep.conf");

        Assert.Equal(1, config.GetInt(string.Join('.', Enumerable.Repeat("a", HoconLimits.MaxDepth)) + ".b"));
    }

    [Fact]
    public async Task Refuses_text_larger_than_the_limit()
    {
        var text = "a = 1\n" + new string('#', HoconLimits.MaxBytes);

        var error = await Assert.ThrowsAsync<ConfigException>(() => ParseWithDeadline(text, "big.conf"));

        Assert.Null(error.Line);
        Assert.Contains("more than the limit", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Brackets_and_quotes_inside_comments_strings_and_substitutions_do_not_count()
    {
        const string text = """"
            # a comment with { and [ and "
            // another with } and ]
            base { port = 1883 }
            a {
              brace = "{ [ \" // not a comment"
              url = "tcp://host:1883"
              script = """line one }
            "line" two ]"""
              port = ${base.port} // trailing { comment
              list = [1, 2, [3]]
            }
            """";

        var config = await ParseWithDeadline(text, "ok.conf");

        Assert.Equal("{ [ \" // not a comment", config.GetString("a.brace"));
        Assert.Equal("tcp://host:1883", config.GetString("a.url"));
        Assert.Equal("line one }\n\"line\" two ]", config.GetString("a.script"));
        Assert.Equal(1883, config.GetInt("a.port"));
        Assert.Equal(3, config.GetValue("a.list").GetArray().Count);
    }

    [Fact]
    public async Task What_operators_write_reaches_Akka_with_the_same_values()
    {
        const string text = "{\r\n"
            + "  a { x = 1 }\r\n"
            + "  a { y = 2 }  # merged into the a above\r\n"
            + "  a.x = 3\r\n"
            + "  \"dotted.key\" = \"tab\\there \\u00e9 \\\"quoted\\\"\"\r\n"
            + "  b: [\"one\",\r\n      two\r\n      3.5]\r\n"
            + "  c = words with  spaces // and a comment\r\n"
            + "  d = null\r\n"
            + "}\r\n";

        var config = await ParseWithDeadline(text, "ok.conf");

        Assert.Equal(3, config.GetInt("a.x"));
        Assert.Equal(2, config.GetInt("a.y"));
        Assert.Equal("tab\there \u00e9 \"quoted\"", config.GetValue("\"dotted.key\"").GetString());
        Assert.Equal(["one", "two", "3.5"], config.GetStringList("b"));
        Assert.Equal("words with  spaces", config.GetString("c"));
        Assert.Null(config.GetString("d"));
    }

    [Fact]
    public async Task Columns_count_from_one_on_every_line_after_a_multi_line_string()
    {
        const string text = "a = \"\"\"x\ny\"\"\"\n  b = [\n";

        var error = await Assert.ThrowsAsync<ConfigException>(() => ParseWithDeadline(text, "lines.conf"));

        Assert.Equal((3, 7), (error.Line, error.Column));
    }

    private static Task<Config> ParseWithDeadline(string text, string source) =>
        Task.Run(() => StrictConfig.ParseUnchecked(text, source, _ => null)).WaitAsync(Deadline);
}
