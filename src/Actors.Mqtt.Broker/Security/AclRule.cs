namespace Actors.Mqtt.Broker.Security;

/// <summary>One <c>topic</c> or <c>pattern</c> line of an ACL file.</summary>
/// <param name="Filter">The topic filter; in a pattern, whole levels <c>%c</c> and <c>%u</c> stand for client id and username.</param>
/// <param name="Line">Where it is in the file, for log lines.</param>
public sealed record AclRule(AclAccess Access, string Filter, int Line);
