using Actors.Mqtt.Bench;

return await BenchCommand.Create().Parse(args).InvokeAsync();
