using DraSdk.Cli;

return CliApp.Run(args, Console.Out, Console.Error, colors: !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null);
