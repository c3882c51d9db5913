using System.Text.Json;
using System.Text.Json.Serialization;

namespace Actors.Mqtt.Bench.Reporting;

/// <summary>The machine-readable report of one run: what was loaded, on what machine, and every result.</summary>
public sealed record JsonReport(
    string Tool,
    string Version,
    string Broker,
    string Target,
    int? BrokerPid,
    double Scale,
    DateTimeOffset StartedUtc,
    int ProcessorCount,
    IReadOnlyList<ScenarioResult> Results)
{
    /// <summary>Every node's process id when several were given (<see cref="BrokerPid"/> is the first); left out otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<int>? BrokerPids { get; init; }

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public static JsonReport FromJson(string json) =>
        JsonSerializer.Deserialize<JsonReport>(json, Options) ?? throw new JsonException("empty report");
}
