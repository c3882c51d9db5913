using Actors.Mqtt.Server.Listeners;
using Microsoft.Extensions.Logging;

namespace Actors.Mqtt.Server.Tests.Listeners;

/// <summary>A flood of refused connections gives one warning line a second, each counting the refusals it stands for.</summary>
public sealed class RefusalLogTests
{
    [Fact]
    public void Refusals_within_a_second_of_a_line_are_counted_into_the_next_line()
    {
        var clock = new HandClock();
        var logger = new LinesLogger();
        var log = new RefusalLog(logger, "limit reached", clock);

        log.Refused("tcp", "10.0.0.1:1000");
        for (var i = 0; i < 99; i++)
        {
            log.Refused("tcp", "10.0.0.2:1000");
        }

        Assert.Equal(["tcp connection from 10.0.0.1:1000 refused: limit reached (1 refused since the previous line)"], logger.Lines);

        clock.Advance(TimeSpan.FromSeconds(1));
        log.Refused("tcp", "10.0.0.3:1000");

        Assert.Equal(2, logger.Lines.Count);
        Assert.Equal("tcp connection from 10.0.0.3:1000 refused: limit reached (100 refused since the previous line)", logger.Lines[1]);
        Assert.All(logger.Levels, level => Assert.Equal(LogLevel.Warning, level));
    }

    private sealed class HandClock : TimeProvider
    {
        private long now = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => now;

        public void Advance(TimeSpan by) => now += by.Ticks;
    }

    private sealed class LinesLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public List<LogLevel> Levels { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Levels.Add(logLevel);
            Lines.Add(formatter(state, exception));
        }
    }
}
