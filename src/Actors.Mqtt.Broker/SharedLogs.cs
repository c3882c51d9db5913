using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker;

/// <summary>
/// One logger per actor type for the actors there are one or two of per connection. <c>Context.GetLogger()</c> makes
/// a logger and its source text per actor instance, a few hundred bytes of every idle connection; the lines already
/// name their client, so the actor's path adds nothing an operator needs.
/// </summary>
public sealed class SharedLogs : IExtension
{
    private static readonly Provider Id = new();

    private readonly ConcurrentDictionary<Type, ILoggingAdapter> loggers = new();

    public static ILoggingAdapter For<T>(IActorContext context) =>
        Id.Apply(context.System).loggers.GetOrAdd(typeof(T), static (type, system) => Logging.GetLogger(system, type), context.System);

    private sealed class Provider : ExtensionIdProvider<SharedLogs>
    {
        public override SharedLogs CreateExtension(ExtendedActorSystem system) => new();
    }
}
