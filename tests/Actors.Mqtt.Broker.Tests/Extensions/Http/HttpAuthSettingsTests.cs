using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Extensions.Http;
using Akka.Configuration;

namespace Actors.Mqtt.Broker.Tests.Extensions.Http;

public sealed class HttpAuthSettingsTests
{
    private static readonly HttpAuthExtension Extension = new();

    [Fact]
    public void The_extension_answers_the_questions_whose_url_is_set()
    {
        Assert.Equal(ExtensionQuestions.Authenticate, Extension.Answers(Context("authenticate-url = \"http://127.0.0.1:8080/auth\"")));
        Assert.Equal(ExtensionQuestions.Authorize, Extension.Answers(Context("authorize-url = \"https://auth.example/acl\"")));
        Assert.Equal(
            ExtensionQuestions.Authenticate | ExtensionQuestions.Authorize,
            Extension.Answers(Context("authenticate-url = \"http://a/auth\", authorize-url = \"http://a/acl\"")));
    }

    [Fact]
    public void Unset_keys_take_their_defaults()
    {
        var settings = HttpAuthSettings.Read(Context("authenticate-url = \"http://a/auth\""));

        Assert.Null(settings.AuthorizeUrl);
        Assert.Equal(HttpAuthSettings.DefaultRequestTimeout, settings.RequestTimeout);
        Assert.Equal(HttpAuthSettings.DefaultCacheTtl, settings.CacheTtl);
        Assert.Equal(HttpAuthSettings.DefaultCacheMaxEntries, settings.CacheMaxEntries);
        Assert.Equal(HttpAuthSettings.DefaultMaxInFlight, settings.MaxInFlight);
    }

    [Theory]
    [InlineData("", "config.authenticate-url")]
    [InlineData("authenticate-url = \"\", authorize-url = \"\"", "config.authenticate-url")]
    [InlineData("authenticate-url = \"ftp://a/auth\"", "config.authenticate-url")]
    [InlineData("authorize-url = \"not a url\"", "config.authorize-url")]
    [InlineData("authenticate-url = \"http://a\", request-timeout = 0s", "config.request-timeout")]
    [InlineData("authenticate-url = \"http://a\", request-timeout = soon", "config.request-timeout")]
    [InlineData("authenticate-url = \"http://a\", cache-ttl = -1s", "config.cache-ttl")]
    [InlineData("authenticate-url = \"http://a\", cache-max-entries = many", "config.cache-max-entries")]
    [InlineData("authenticate-url = \"http://a\", max-in-flight = 0", "config.max-in-flight")]
    public void A_wrong_value_is_an_error_naming_the_extension_and_the_key(string config, string key)
    {
        var error = Assert.Throws<ConfigurationException>(() => Extension.Answers(Context(config)));

        Assert.StartsWith($"extension http-auth: {key}:", error.Message, StringComparison.Ordinal);
    }

    private static ExtensionContext Context(string config) => new("http-auth", ConfigurationFactory.ParseString(config));
}
