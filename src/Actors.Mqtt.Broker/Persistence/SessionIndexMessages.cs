namespace Actors.Mqtt.Broker.Persistence;

/// <summary>Tells the session index what a session now is; when <paramref name="Token"/> is not 0 the sender is answered
/// with <see cref="SessionIndexed"/> once the row is written.</summary>
public sealed record IndexSession(SessionIndexEntry Entry, long Token = 0);

/// <summary>Removes a session's row from the index: the session ended, or no longer outlives its connection.</summary>
public sealed record ForgetIndexedSession(string ClientId);

/// <summary>The row of <see cref="IndexSession"/> with this token is written.</summary>
public sealed record SessionIndexed(long Token);
