namespace Actors.Mqtt.Server.Configuration;

/// <summary>One HOCON text the configuration is merged from.</summary>
/// <param name="Source">What its locations name: the file path, <c>--set key=value</c>, or the embedded resource.</param>
/// <param name="IsFile">Whether <paramref name="Source"/> is a file on disk.</param>
/// <param name="HasLines">False for a <c>--set</c> option, whose errors name the option without a line.</param>
public sealed record ConfigLayer(string Text, string Source, bool IsFile, bool HasLines = true);
