namespace Actors.Mqtt.Protocol.Properties;

/// <summary>The Payload Format Indicator property.</summary>
public enum PayloadFormat : byte
{
    Unspecified = 0,
    Utf8 = 1,
}
