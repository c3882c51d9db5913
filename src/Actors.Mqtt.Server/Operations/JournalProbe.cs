using Akka.Actor;
using Akka.Persistence;

namespace Actors.Mqtt.Server.Operations;

/// <summary>
/// Whether the configured journal takes a write now: each check writes one empty event under its own persistence id
/// through the same Akka.Persistence journal the sessions use, then deletes it. A journal that reads but does not write
/// (disk full, a read-only file, a database that refuses inserts) is caught here, where start-up checks only read.
/// </summary>
/// <remarks>
/// One check runs at a time and its answer is kept for <see cref="Reuse"/>, so probes from several load balancers
/// cost one write between them.
/// </remarks>
internal sealed class JournalProbe(ActorSystem system) : IDisposable
{
    /// <summary>Never the prefix of a session's id, so start-up does not wake it and <c>journal replay</c> ignores it.</summary>
    public const string PersistenceId = "actors-mqtt-journal-probe";

    private static readonly TimeSpan Reuse = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim gate = new(1, 1);
    private (string? Problem, long At) last = (null, long.MinValue);

    /// <summary>Null when a write landed, else why the journal is not writable.</summary>
    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Environment.TickCount64 - last.At < Reuse.TotalMilliseconds)
            {
                return last.Problem;
            }

            var problem = await WriteAsync(cancellationToken).ConfigureAwait(false);
            last = (problem, Environment.TickCount64);
            return problem;
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose() => gate.Dispose();

    private async Task<string?> WriteAsync(CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var probe = system.ActorOf(Props.Create(() => new ProbeActor(answer)));
        try
        {
            return await answer.Task.WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            system.Stop(probe);
            return $"journal write did not complete within {Timeout.TotalSeconds:0} s";
        }
    }

    /// <summary>Recovers (reading the journal), writes one event, answers, deletes what it wrote and stops.</summary>
    private sealed class ProbeActor(TaskCompletionSource<string?> answer) : UntypedPersistentActor
    {
        public override string PersistenceId => JournalProbe.PersistenceId;

        protected override void PreStart()
        {
            base.PreStart();

            // Commands wait until recovery has read the journal, so the write comes after it.
            Self.Tell(Write.Instance);
        }

        protected override void OnCommand(object message)
        {
            switch (message)
            {
                case Write:
                    // A byte array has Akka's own serializer in every configuration: the probe needs no binding.
                    Persist(Array.Empty<byte>(), _ =>
                    {
                        answer.TrySetResult(null);
                        DeleteMessages(LastSequenceNr);
                    });
                    break;
                case DeleteMessagesSuccess or DeleteMessagesFailure:
                    Context.Stop(Self);
                    break;
            }
        }

        protected override void OnRecover(object message)
        {
        }

        protected override void OnRecoveryFailure(Exception reason, object? message = null)
        {
            answer.TrySetResult($"journal not readable: {reason.Message}");
            base.OnRecoveryFailure(reason, message);
        }

        protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
        {
            answer.TrySetResult($"journal write failed: {cause.Message}");
            base.OnPersistFailure(cause, @event, sequenceNr);
        }

        protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
        {
            answer.TrySetResult($"journal write rejected: {cause.Message}");
            base.OnPersistRejected(cause, @event, sequenceNr);

            // Akka keeps a persistent actor running after a rejected write; this one has nothing left to do.
            Context.Stop(Self);
        }

        private sealed class Write
        {
            public static readonly Write Instance = new();
        }
    }
}
