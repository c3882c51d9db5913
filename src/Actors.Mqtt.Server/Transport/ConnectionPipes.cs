using System.IO.Pipelines;
using Akka.Streams;

namespace Actors.Mqtt.Server.Transport;

/// <summary>
/// The pipes of the connection a materialization of <see cref="PipeReaderSource"/> and <see cref="PipeWriterSink"/>
/// serves. The stages are built once and read their pipes from this attribute: a stage instance keeps its blueprint
/// alive for as long as it runs, so stages built per connection cost every idle connection their module and ports.
/// </summary>
public sealed record ConnectionPipes(PipeReader Input, PipeWriter Output) : Attributes.IAttribute
{
    public static ConnectionPipes Of(Attributes attributes) =>
        attributes.GetAttribute<ConnectionPipes>(null!)
        ?? throw new InvalidOperationException("a pipe stage was materialized without a ConnectionPipes attribute");
}
