using System.Reflection;

var version = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
Console.WriteLine($"Actors.Mqtt {version}");
Console.WriteLine("Only the MQTT protocol library is built so far; the broker itself (listeners, sessions, routing) is not implemented yet.");
return 0;
