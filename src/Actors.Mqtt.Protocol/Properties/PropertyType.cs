namespace Actors.Mqtt.Protocol.Properties;

/// <summary>The data type of a property's value on the wire (section 1.5).</summary>
public enum PropertyType
{
    Byte,
    TwoByteInteger,
    FourByteInteger,
    VariableByteInteger,
    Utf8String,
    BinaryData,
    Utf8StringPair,
}
