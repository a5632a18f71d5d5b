using System.CommandLine;
using System.Text.Json;
using Tunnel.Node.Configuration;

namespace Tunnel.Node.Cli;

/// <summary>
/// <c>tunnel config check [file]</c>: loads a configuration exactly as `tunnel run --config`
/// would (defaults, the file, the environment) and validates it, explaining each problem with
/// its key and that key's documentation from cluster.hocon; a key the node does not know is named
/// with its file, line and the key it most likely means. Exit 0 when valid, 78 when not.
/// </summary>
public static class ConfigCommands
{
    public static Command Build(CliConsole console)
    {
        var config = new Command("config", "Configuration files");
        var file = new Argument<string?>("file") { Description = "The file to check (layered over the defaults); none: the defaults and the environment", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts" };
        var check = new Command("check", "Validate a configuration and explain each error with its key") { file, json };
        check.SetAction(result => Check(result.GetValue(file), result.GetValue(json), console));
        config.Subcommands.Add(check);
        return config;
    }

    private static int Check(string? file, bool json, CliConsole console)
    {
        var name = file ?? "the defaults";
        var docs = ConfigKeyDocs.Read(ConfigLoader.DefaultText());
        List<ConfigProblem> problems = [];
        TunnelSettings? settings = null;
        try
        {
            settings = SettingsReader.Read(ConfigLoader.Load(file));
        }
        catch (ConfigurationException e)
        {
            var lines = file is not null && File.Exists(file) ? KeyLines.Read(File.ReadAllText(file)) : new Dictionary<string, int>();
            var unknown = e.UnknownKeys.ToDictionary(u => u.Problem);
            problems = e.Problems.Select(p =>
            {
                // An unknown key has no documentation of its own: show that of the key it probably means.
                if (unknown.TryGetValue(p, out var u))
                    return new ConfigProblem(u.Key, u.Why, u.Suggestion is { } meant ? ConfigKeyDocs.For(docs, meant) : null)
                    {
                        File = u.File, Line = u.Line, Suggestion = u.Suggestion,
                    };
                var colon = p.IndexOf(": ", StringComparison.Ordinal);
                var key = colon > 0 && p.StartsWith("tunnel.") ? p[..colon] : "";
                // A value the file sets: where it sets it (a default's problem has no line to show).
                int? line = key.Length > 0 && lines.TryGetValue(key, out var at) ? at : null;
                return new ConfigProblem(key, key.Length > 0 ? p[(colon + 2)..] : p, key.Length > 0 ? ConfigKeyDocs.For(docs, key) : null)
                {
                    File = line is null ? null : file, Line = line,
                };
            }).ToList();
        }

        if (json)
        {
            console.Out.WriteLine(JsonSerializer.Serialize(new ConfigCheckView(file, problems.Count == 0, problems), ConfigJson.Default.ConfigCheckView));
        }
        else if (problems.Count == 0)
        {
            console.Out.WriteLine($"{name}: valid");
            console.Out.WriteLine($"  smtp     {string.Join(", ", settings!.Ingress.Listen.Select(e => e.ToString()))}");
            console.Out.WriteLine($"  admin    {(settings.Admin.Listen is { } admin ? admin + (settings.Admin.RequiresToken ? " (token required)" : "") : "off")}");
            console.Out.WriteLine($"  storage  {settings.Storage.Provider}");
            console.Out.WriteLine($"  relay    {(settings.Ingress.Relay.Domains.Count == 0 ? "no domain" : string.Join(", ", settings.Ingress.Relay.Domains.Order()))}");
            console.Out.WriteLine(settings.Ingress.Certificates is { } tls
                ? $"  tls      default {tls.Default.Name} (expires {tls.Default.NotAfterUtc:yyyy-MM-dd})"
                  + (tls.ByName.Count == 0 ? "" : "; by SNI: " + string.Join(", ", tls.ByName.Select(c => $"{c.Name} (expires {c.NotAfterUtc:yyyy-MM-dd})")))
                : "  tls      STARTTLS not offered");
            console.Out.WriteLine($"  cluster  {settings.Cluster.Hostname}:{settings.Cluster.Port}, seeds: {(settings.Cluster.Seeds.Count == 0 ? "none" : string.Join(", ", settings.Cluster.Seeds.Select(s => $"{s.Host}:{s.Port}")))}");
        }
        else
        {
            console.Error.WriteLine($"{name}: {problems.Count} problem(s)");
            foreach (var problem in problems)
            {
                console.Error.WriteLine(problem.Key.Length > 0 ? $"  {problem.Key}: {problem.Problem}" : $"  {problem.Problem}");
                if (problem.Line is { } line && !problem.Problem.Contains($"({problem.File}:{line})")) console.Error.WriteLine($"      at {problem.File}:{line}");
                if (problem.Documentation is { } doc) console.Error.WriteLine($"      # {doc}");
            }
        }
        return problems.Count == 0 ? ExitCodes.Ok : ExitCodes.Config;
    }
}

/// <param name="Key">The key, "" when the file does not parse at all.</param>
/// <param name="Documentation">The key's comment in cluster.hocon (for an unknown key: that of <see cref="Suggestion"/>).</param>
public sealed record ConfigProblem(string Key, string Problem, string? Documentation)
{
    /// <summary>The file and line the key is written on (for a bad value too); for an unknown key, the known key it most likely means.</summary>
    public string? File { get; init; }
    public int? Line { get; init; }
    public string? Suggestion { get; init; }
}

public sealed record ConfigCheckView(string? File, bool Valid, IReadOnlyList<ConfigProblem> Problems);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ConfigCheckView))]
public sealed partial class ConfigJson : System.Text.Json.Serialization.JsonSerializerContext;
