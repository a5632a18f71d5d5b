using BenchmarkDotNet.Running;

// Micro benchmarks of Tunnel's pure protocol code (issue 7). See bench/README.md:
//   dotnet run -c Release --project bench/Tunnel.Bench.Micro -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
