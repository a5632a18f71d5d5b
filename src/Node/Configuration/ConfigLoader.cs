using System.Reflection;
using Akka.Configuration;

namespace Tunnel.Node.Configuration;

/// <summary>
/// The node's configuration: the embedded cluster.hocon (the repository's default file), an
/// operator's file layered over it, and the documented environment variables over both.
/// (Akka.NET's HOCON does not resolve <c>${?VAR}</c> from the environment, so the variables
/// are a fixed table here rather than substitutions in the file.)
/// </summary>
public static class ConfigLoader
{
    /// <summary>Environment variable → the key it overrides.</summary>
    public static readonly IReadOnlyDictionary<string, string> Environment = new Dictionary<string, string>
    {
        ["TUNNEL_HOSTNAME"] = "tunnel.hostname",
        ["TUNNEL_DATA"] = "tunnel.storage.sqlite.path",
        ["TUNNEL_POSTGRES"] = "tunnel.storage.postgresql.connection-string",
        ["TUNNEL_CLUSTER_HOSTNAME"] = "tunnel.cluster.hostname",
        ["TUNNEL_ADMIN_TOKEN"] = "tunnel.admin.token",
        ["TUNNEL_LOG_FORMAT"] = "tunnel.log.format",
    };

    public static string DefaultText()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("cluster.hocon")
            ?? throw new InvalidOperationException("cluster.hocon is not embedded in this build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Defaults, overlaid by <paramref name="file"/> when given, then by the environment. A key of
    /// the file that the defaults do not have (<see cref="KnownKeys"/>) is an error, reported with
    /// every other problem of the configuration so that the operator fixes the file in one go.
    /// </summary>
    public static Config Load(string? file, Func<string, string?>? environment = null)
    {
        var defaults = ConfigurationFactory.ParseString(DefaultText());
        var config = defaults;
        IReadOnlyList<UnknownKey> unknown = [];
        if (file is not null)
        {
            if (!File.Exists(file)) throw new ConfigurationException([$"--config: file '{file}' does not exist"]);
            string text;
            Config own;
            try
            {
                text = File.ReadAllText(file);
                own = ConfigurationFactory.ParseString(text);
            }
            catch (Exception e)
            {
                // HOCON that does not parse: no key to name, but the parser's own words and position.
                throw new ConfigurationException([$"{file}: not valid HOCON: {e.Message}"]);
            }
            unknown = KnownKeys.From(defaults).UnknownIn(own, file, text);
            config = own.WithFallback(config);
        }
        environment ??= System.Environment.GetEnvironmentVariable;
        foreach (var (variable, key) in Environment)
            if (environment(variable) is { } value)
                config = Overlay($"{key} = {Quote(value)}", config);
        if (unknown.Count > 0)
            throw new ConfigurationException([.. unknown.Select(u => u.Problem), .. ProblemsWithValues(config)], unknown);
        return config;
    }

    private static IReadOnlyList<string> ProblemsWithValues(Config config)
    {
        try
        {
            SettingsReader.Read(config);
            return [];
        }
        catch (ConfigurationException e)
        {
            return e.Problems;
        }
    }

    /// <summary>HOCON text over a base configuration (tests build their node configuration this way).</summary>
    public static Config Overlay(string hocon, Config under) =>
        ConfigurationFactory.ParseString(hocon).WithFallback(under);

    public static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
