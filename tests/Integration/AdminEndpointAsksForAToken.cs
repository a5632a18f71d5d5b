using System.Net;
using System.Net.Http.Headers;
using Tunnel.Node.Configuration;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Off loopback the admin endpoint steers the cluster for anyone who reaches it, so it asks for
/// the bearer token: without it 401 (and the CLI exits 77), with it the answer; the health
/// checks answer anybody (load balancers send no token). A configuration that binds it off
/// loopback without a token does not start.
/// </summary>
public sealed class AdminEndpointAsksForAToken
{
    private const string Token = "not-a-real-secret-0123456789";

    // Tests bind loopback only, so the endpoint here is on 127.0.0.1 with a token: a configured
    // token is asked for on loopback too, by the same check as off loopback. That a non-loopback
    // endpoint cannot run without a token is the configuration test below.
    [Fact]
    public async Task Requests_without_the_token_get_401()
    {
        await using var node = await InProcessNode.StartAsync($$"""
            tunnel.smtp.listen = ["127.0.0.1:0"]
            tunnel.admin { listen = "127.0.0.1:0", token = "{{Token}}" }
            """);
        var port = node.Node.Admin!.EndPoint.Port;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        var refused = await http.GetAsync("v1/cluster");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("bearer token", await refused.Content.ReadAsStringAsync());

        var wrong = new HttpRequestMessage(HttpMethod.Get, "metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "guess") } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health/ready")).StatusCode);

        var noToken = await Cli.RunAsync("cluster", "show", "--node", $"127.0.0.1:{port}");
        Assert.Equal(77, noToken.Code);
        Assert.Contains("asks for a bearer token", noToken.Error);

        var withToken = await Cli.RunAsync("cluster", "show", "--node", $"127.0.0.1:{port}", "--token", Token);
        Assert.Equal(0, withToken.Code);
        Assert.Contains("1 member(s)", withToken.Output);
    }

    [Fact]
    public void A_non_loopback_endpoint_without_a_token_is_a_configuration_error()
    {
        var config = ConfigLoader.Overlay("""tunnel.admin.listen = "0.0.0.0:8025" """, ConfigLoader.Load(null, _ => null));

        var error = Assert.Throws<ConfigurationException>(() => SettingsReader.Read(config));

        Assert.Contains(error.Problems, p => p.StartsWith("tunnel.admin.token: must be set (or TUNNEL_ADMIN_TOKEN)"));
    }

    [Theory]
    [InlineData("127.0.0.1:8025", "", true)]
    [InlineData("[::1]:0", "", true)]
    [InlineData("off", "", true)]
    [InlineData("0.0.0.0:8025", Token, true)]
    [InlineData("0.0.0.0:8025", "", false)]
    [InlineData("[::]:8025", "", false)]
    [InlineData("192.0.2.1:8025", "short", false)]
    [InlineData("localhost:8025", "", false)]
    public void Admin_settings_are_checked(string listen, string token, bool valid)
    {
        var config = ConfigLoader.Overlay($$"""tunnel.admin { listen = "{{listen}}", token = "{{token}}" }""", ConfigLoader.Load(null, _ => null));

        var problems = Problems(config);

        Assert.Equal(valid, problems.Count == 0);
        Assert.All(problems, p => Assert.StartsWith("tunnel.admin.", p));
    }

    [Fact]
    public void The_token_can_come_from_the_environment()
    {
        var environment = new Dictionary<string, string> { ["TUNNEL_ADMIN_TOKEN"] = Token };
        var config = ConfigLoader.Overlay("""tunnel.admin.listen = "0.0.0.0:8025" """, ConfigLoader.Load(null, environment.GetValueOrDefault));

        Assert.Equal(Token, SettingsReader.Read(config).Admin.Token);
    }

    private static IReadOnlyList<string> Problems(Akka.Configuration.Config config)
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
}
