using System.Runtime.InteropServices;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>Chooses which member of a shared subscription group receives a message (MQTT 5.0 section 4.8.2).</summary>
public interface ISharedSubscriptionPicker
{
    /// <summary>Returns the index, from 0 to <paramref name="memberCount"/> - 1, of the member to deliver to.</summary>
    /// <param name="group">The share name.</param>
    /// <param name="filter">The filter after the share name; with <paramref name="group"/> it names the group.</param>
    int Pick(string group, string filter, int memberCount);

    /// <summary>Told when a group loses its last member, so that state kept per group does not outlive it.</summary>
    void Forget(string group, string filter);
}

/// <summary>Hands the messages of each group to its members in turn.</summary>
/// <remarks>Not thread-safe, like the trie that calls it.</remarks>
public sealed class RoundRobinPicker : ISharedSubscriptionPicker
{
    private readonly Dictionary<(string Group, string Filter), int> next = [];

    public int Pick(string group, string filter, int memberCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(memberCount);
        ref var counter = ref CollectionsMarshal.GetValueRefOrAddDefault(next, (group, filter), out _);

        // The modulo keeps the turn valid after members left; the rotation just continues from there.
        var index = counter % memberCount;
        counter = index + 1;
        return index;
    }

    public void Forget(string group, string filter) => next.Remove((group, filter));
}

/// <summary>Hands each message to a member chosen at random.</summary>
public sealed class RandomPicker : ISharedSubscriptionPicker
{
    public int Pick(string group, string filter, int memberCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(memberCount);
        return Random.Shared.Next(memberCount);
    }

    public void Forget(string group, string filter)
    {
        // Keeps no state per group.
    }
}
