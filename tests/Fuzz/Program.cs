using SharpFuzz;
using Tunnel.Fuzz;

// Usage:
//   dotnet Tunnel.Fuzz.dll <target>                  under afl-fuzz (SharpFuzz's out-of-process runner)
//   dotnet Tunnel.Fuzz.dll <target> --replay <path>  run a file, or every file of a folder, once (a finding, a corpus)
// Targets: command (line framing + parser), data (DATA and BDAT readers), conversation (the whole protocol).
if (args.Length == 0 || !Targets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Tunnel.Fuzz <{string.Join('|', Targets.All.Keys)}> [--replay <file or folder>]");
    return 64;
}
if (args.Length == 3 && args[1] == "--replay")
{
    var files = Directory.Exists(args[2]) ? Directory.GetFiles(args[2]) : [args[2]];
    foreach (var file in files) target(File.ReadAllBytes(file));
    Console.WriteLine($"{files.Length} input(s) replayed through '{args[0]}' without a finding");
    return 0;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var memory = new MemoryStream();
    stream.CopyTo(memory);
    target(memory.ToArray());
});
return 0;
