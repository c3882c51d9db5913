namespace Actors.Mqtt.Broker.Connections;

/// <summary>
/// Keeps a QoS 0 publisher from running ahead of the broker. Every <c>every</c>-th QoS 0 message it routes carries a
/// mark; each connection that gets a copy of that message answers once it has the copy in hand, or, while its outbound
/// queue is full, once the queue drained to half, unless its client stopped reading. With <c>window</c> marks unanswered the publisher's
/// connection stops reading its socket, so TCP slows the client down. A mark whose answers never come (a subscriber's
/// connection closed with it in its mailbox) is given up after <c>timeoutMilliseconds</c>.
/// </summary>
internal sealed class PublishPacer(int every, int window, long timeoutMilliseconds)
{
    // Made at the first mark: a connection that never publishes QoS 0 holds none.
    private List<OpenMark>? open;
    private int sinceMark;
    private long lastSeq;

    /// <summary>Whether the connection may read more from its socket.</summary>
    public bool MayRead => open is null || open.Count < window;

    /// <summary>Counts one routed QoS 0 message; returns the sequence number of its mark when it is to carry one.</summary>
    public long? Next(long now)
    {
        if (++sinceMark < every)
        {
            return null;
        }

        sinceMark = 0;
        (open ??= []).Add(new OpenMark(++lastSeq, now));
        return lastSeq;
    }

    /// <summary>One of <paramref name="copies"/> connections answered mark <paramref name="seq"/> (none matched when 0).</summary>
    public void Answered(long seq, int copies)
    {
        var i = open?.FindIndex(m => m.Seq == seq) ?? -1;
        if (i < 0)
        {
            return;
        }

        var answers = open![i].Answers + 1;
        if (answers >= copies)
        {
            open.RemoveAt(i);
        }
        else
        {
            open[i] = open[i] with { Answers = answers };
        }
    }

    /// <summary>Gives up the marks older than the timeout; returns how many.</summary>
    public int Expire(long now)
    {
        return open?.RemoveAll(m => now - m.SentAt >= timeoutMilliseconds) ?? 0;
    }

    private readonly record struct OpenMark(long Seq, long SentAt, int Answers = 0);
}
