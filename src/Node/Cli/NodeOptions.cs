using System.CommandLine;

namespace Tunnel.Node.Cli;

/// <summary>
/// The options of every command that asks a running node: which node (--node host:port, its
/// tunnel.admin.listen), the bearer token, and --json for scripts instead of a table.
/// </summary>
public sealed class NodeOptions
{
    public const string DefaultNode = "127.0.0.1:8025";

    public Option<string> Node { get; } = new("--node")
    {
        Description = $"The node's admin endpoint, host:port (its tunnel.admin.listen) [default: {DefaultNode}]",
        DefaultValueFactory = _ => DefaultNode,
        Recursive = true,
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "Bearer token for a node with tunnel.admin.token [default: $TUNNEL_ADMIN_TOKEN]",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print JSON for scripts instead of a table", Recursive = true };

    public void AddTo(Command command)
    {
        command.Options.Add(Node);
        command.Options.Add(Token);
        command.Options.Add(Json);
    }

    /// <summary>A client for the chosen node, or null (after saying why) when --node is not host:port.</summary>
    public AdminClient? Client(ParseResult result, CliConsole console, TimeSpan? timeout = null)
    {
        var node = result.GetValue(Node) ?? DefaultNode;
        if (AdminClient.Authority(node) is not { } authority)
        {
            console.Error.WriteLine($"tunnel: --node '{node}' is not host:port (e.g. 127.0.0.1:8025 or [::1]:8025)");
            return null;
        }
        var token = result.GetValue(Token) ?? Environment.GetEnvironmentVariable("TUNNEL_ADMIN_TOKEN");
        return new AdminClient(authority, token, console, timeout);
    }
}
