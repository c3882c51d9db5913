using Actors.Mqtt.Broker.Statistics;

namespace Actors.Mqtt.Broker.Tests.Statistics;

public class LoadAverageTests
{
    [Fact]
    public void The_first_sample_only_sets_where_counting_starts()
    {
        var load = new LoadAverage();

        load.Sample(1_000_000, TimeSpan.FromSeconds(10));

        Assert.Equal([0.0, 0.0, 0.0], load.PerMinute);
    }

    [Fact]
    public void A_steady_rate_moves_each_average_by_the_share_of_its_window_that_passed()
    {
        var load = new LoadAverage();
        load.Sample(0, TimeSpan.Zero);

        // 100 a second for one minute, sampled every 10 seconds: 6,000 a minute.
        for (var i = 1; i <= 6; i++)
        {
            load.Sample(i * 1_000, TimeSpan.FromSeconds(10));
        }

        Assert.Equal(6_000 * (1 - Math.Exp(-1)), load.PerMinute[0], 6);
        Assert.Equal(6_000 * (1 - Math.Exp(-60.0 / 300)), load.PerMinute[1], 6);
        Assert.Equal(6_000 * (1 - Math.Exp(-60.0 / 900)), load.PerMinute[2], 6);
    }

    [Fact]
    public void Averages_fall_back_once_the_count_stops()
    {
        var load = new LoadAverage();
        load.Sample(0, TimeSpan.Zero);
        load.Sample(6_000, TimeSpan.FromSeconds(60));
        var before = load.PerMinute.ToArray();

        load.Sample(6_000, TimeSpan.FromSeconds(60));

        Assert.Equal(before[0] * Math.Exp(-1), load.PerMinute[0], 6);
        Assert.True(load.PerMinute[2] < before[2]);
    }
}
