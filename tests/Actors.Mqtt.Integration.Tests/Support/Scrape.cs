using System.Globalization;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>One scrape of <c>/metrics</c>: the value of each series, by its name and labels as written
/// (<c>name{label="v"}</c>; a series without labels by its name alone).</summary>
public sealed class Scrape(IReadOnlyDictionary<string, double> series)
{
    public IReadOnlyDictionary<string, double> Series => series;

    public static Scrape Parse(string text)
    {
        var series = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            var name = line[..space];
            series[name.EndsWith("{}", StringComparison.Ordinal) ? name[..^2] : name] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }

        return new Scrape(series);
    }

    /// <summary>The metric names with at least one series (<c>name</c> of <c>name{label="v"}</c>).</summary>
    public IEnumerable<string> Names => series.Keys.Select(s => s.Split('{')[0]).Distinct(StringComparer.Ordinal);

    /// <summary>A series not written yet has counted nothing.</summary>
    public double Of(string name) => series.GetValueOrDefault(name);
}
