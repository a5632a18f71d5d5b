using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tunnel.Node.Configuration;

namespace Tunnel.Node.Admin;

/// <summary>
/// The node's HTTP admin endpoint (Kestrel, minimal APIs, JSON in and out): what the `tunnel`
/// CLI talks to, /metrics, and the health checks. Loopback by default. With a token every
/// request but the health checks must carry "Authorization: Bearer &lt;token&gt;" (401 otherwise);
/// off loopback a token is required by the configuration check. It starts before the node joins
/// its cluster, so that /health/ready can say "not yet", and stops when the node stops.
/// </summary>
public sealed class AdminEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AdminEndpoint(WebApplication app, IPEndPoint endPoint)
    {
        _app = app;
        EndPoint = endPoint;
    }

    /// <summary>The address actually bound (port 0 in the configuration resolved).</summary>
    public IPEndPoint EndPoint { get; }

    public static async Task<AdminEndpoint> StartAsync(AdminSettings settings, AdminServices services, ILoggerProvider logs, CancellationToken cancel)
    {
        var listen = settings.Listen ?? throw new ArgumentException("the admin endpoint is off", nameof(settings));
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders().AddProvider(logs).AddFilter("Microsoft", LogLevel.Warning);
        // The node owns Ctrl-C and SIGTERM (a coordinated shutdown); the web host must not.
        builder.Services.AddSingleton<IHostLifetime, NodeOwnsLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, AdminJson.Default));
        builder.WebHost.UseKestrel(o => o.Listen(listen));

        var app = builder.Build();
        if (settings.RequiresToken) app.Use(RequireToken(settings.Token));
        HealthRoutes.Map(app, services);
        MetricsRoute.Map(app, services);
        ClusterRoutes.Map(app, services);
        QueueRoutes.Map(app, services);
        await app.StartAsync(cancel);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address);
        return new AdminEndpoint(app, new IPEndPoint(listen.Address, uri.Port));
    }

    /// <summary>Bearer token check (RFC 6750 §2.1, §3): 401 with WWW-Authenticate, compared in constant time.</summary>
    private static Func<HttpContext, RequestDelegate, Task> RequireToken(string token)
    {
        var expected = Encoding.UTF8.GetBytes(token);
        return async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/health"))
            {
                await next(context);
                return;
            }
            var header = context.Request.Headers.Authorization.ToString();
            var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetBytes(header[7..].Trim()) : [];
            if (CryptographicOperations.FixedTimeEquals(given, expected))
            {
                await next(context);
                return;
            }
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"tunnel\"";
            await context.Response.WriteAsJsonAsync(new ApiError(header.Length == 0
                ? "this node asks for a bearer token (tunnel --token or TUNNEL_ADMIN_TOKEN)"
                : "the bearer token is wrong"), AdminJson.Default.ApiError);
        };
    }

    public async Task StopAsync() => await _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private sealed class NodeOwnsLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
