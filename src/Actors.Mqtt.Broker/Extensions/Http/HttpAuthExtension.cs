using Akka.Actor;

namespace Actors.Mqtt.Broker.Extensions.Http;

/// <summary>
/// The built-in extension that asks an HTTP server whether a client may connect, publish or subscribe, as EMQX's HTTP
/// authentication and mosquitto-go-auth's HTTP backend do (docs/configuration.md, "HTTP authentication and
/// authorization"). It answers the questions whose URL its <c>config</c> block sets.
/// </summary>
public sealed class HttpAuthExtension : IBrokerExtension
{
    public ExtensionQuestions Answers(ExtensionContext context)
    {
        var settings = HttpAuthSettings.Read(context);
        return (settings.AuthenticateUrl is null ? ExtensionQuestions.None : ExtensionQuestions.Authenticate)
            | (settings.AuthorizeUrl is null ? ExtensionQuestions.None : ExtensionQuestions.Authorize);
    }

    public Props Props(ExtensionContext context) => HttpAuthActor.Props(HttpAuthSettings.Read(context), TimeProvider.System);
}
