using System.Net;
using System.Net.Sockets;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// The exit codes scripts rely on, from the real executable: 0 done, 64 usage, 69 node
/// unreachable (with a sentence saying so), 78 invalid configuration; and `tunnel version`.
/// </summary>
public sealed class CliExitCodes
{
    [Fact]
    public async Task The_executable_exits_with_the_documented_codes()
    {
        var version = await NodeProcess.RunCliAsync("version");
        Assert.Equal(0, version.Code);
        Assert.Matches(@"^tunnel \d+\.\d+\.\d+.* \(\.NET 10\.", version.Output);

        var unknown = await NodeProcess.RunCliAsync("frobnicate");
        Assert.Equal(64, unknown.Code);
        Assert.Contains("Try 'tunnel --help'", unknown.Error);

        var closed = ClosedPort();
        var unreachable = await NodeProcess.RunCliAsync("queue", "list", "--node", $"127.0.0.1:{closed}");
        Assert.Equal(69, unreachable.Code);
        Assert.Equal($"tunnel: cannot reach the node's admin endpoint at 127.0.0.1:{closed}: connection refused "
                     + "(is the node running, and is --node its tunnel.admin.listen?)\n", unreachable.Error);

        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "tunnel.smtp.max-errors = many\n");
            var invalid = await NodeProcess.RunCliAsync("run", "--config", file);
            Assert.Equal(78, invalid.Code);
            Assert.Contains("tunnel.smtp.max-errors: 'many' is not a whole number", invalid.Error);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData(64, "queue", "retry")]                                   // neither id, --domain nor --all
    [InlineData(64, "queue", "retry", "X", "--all")]                     // two of them
    [InlineData(64, "queue", "list", "--state", "stuck")]
    [InlineData(64, "queue", "list", "--limit", "0")]
    [InlineData(64, "queue", "list", "--node", "no-port")]
    [InlineData(64, "cluster", "leave")]
    [InlineData(64, "dns", "plan")]                                      // --mx is required
    [InlineData(0, "--help")]
    [InlineData(0, "queue", "--help")]
    public async Task Usage_errors_exit_64(int code, params string[] arguments)
    {
        var result = await Cli.RunAsync(arguments);

        Assert.True(code == result.Code, result.ToString());
    }

    private static int ClosedPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port; // bound, never listening: connections are refused
    }
}
