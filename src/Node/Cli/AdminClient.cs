using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tunnel.Node.Admin;

namespace Tunnel.Node.Cli;

/// <summary>
/// The CLI's side of the admin endpoint: one node (--node host:port), JSON both ways. Every
/// failure becomes a line on standard error and an exit code a script can rely on
/// (<see cref="ExitCodes"/>): unreachable 69, refused 77, not found 1, bad request 64.
/// </summary>
public sealed class AdminClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _node;
    private readonly CliConsole _console;

    public AdminClient(string node, string? token, CliConsole console, TimeSpan? timeout = null)
    {
        _node = node;
        _console = console;
        _http = new HttpClient { BaseAddress = new Uri($"http://{node}/"), Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        if (!string.IsNullOrEmpty(token)) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>"host:port" (IPv6 in brackets) → a URI authority; null when it is not one.</summary>
    public static string? Authority(string node)
    {
        node = node.Trim();
        if (node.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) node = node[7..].TrimEnd('/');
        return Uri.TryCreate($"http://{node}/", UriKind.Absolute, out var uri) && uri.AbsolutePath == "/" && !node.EndsWith(':') && node.Contains(':')
            ? uri.Authority : null;
    }

    public Task<(int Code, T? Value)> GetAsync<T>(string path, JsonTypeInfo<T> answer, CancellationToken cancel) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path), answer, cancel);

    public Task<(int Code, TOut? Value)> PostAsync<TIn, TOut>(string path, TIn body, JsonTypeInfo<TIn> request, JsonTypeInfo<TOut> answer,
        CancellationToken cancel) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, request) }, answer, cancel);

    /// <summary>Reads a newline-delimited stream until it ends or <paramref name="cancel"/> (Ctrl-C) fires.</summary>
    public async Task<int> StreamAsync(string path, Func<string, Task> line, CancellationToken cancel)
    {
        _http.Timeout = Timeout.InfiniteTimeSpan;
        try
        {
            using var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancel);
            if (!response.IsSuccessStatusCode) return await FailedAsync(response, cancel);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel));
            try
            {
                while (await reader.ReadLineAsync(cancel) is { } text)
                    if (text.Length > 0) await line(text);
            }
            catch (IOException) when (!cancel.IsCancellationRequested)
            {
                // The node stopped mid-stream (it left the cluster, or was killed): the same end as a clean close.
            }
            await _console.Error.WriteLineAsync($"tunnel: the node at {_node} closed the stream (it stopped or left)");
            return ExitCodes.Unavailable;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (Exception e) when (Unreachable(e) is { } why)
        {
            return await UnavailableAsync(why);
        }
    }

    private async Task<(int, T?)> SendAsync<T>(Func<HttpRequestMessage> request, JsonTypeInfo<T> answer, CancellationToken cancel)
    {
        try
        {
            using var message = request();
            using var response = await _http.SendAsync(message, cancel);
            if (!response.IsSuccessStatusCode) return (await FailedAsync(response, cancel), default);
            return (ExitCodes.Ok, await response.Content.ReadFromJsonAsync(answer, cancel));
        }
        catch (Exception e) when (Unreachable(e) is { } why)
        {
            return (await UnavailableAsync(why), default);
        }
    }

    private static string? Unreachable(Exception e) => e switch
    {
        HttpRequestException { InnerException: SocketException s } => s.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            _ => s.Message,
        },
        HttpRequestException h => h.Message,
        TaskCanceledException { InnerException: TimeoutException } => "no answer in time",
        _ => null,
    };

    private async Task<int> UnavailableAsync(string why)
    {
        await _console.Error.WriteLineAsync(
            $"tunnel: cannot reach the node's admin endpoint at {_node}: {why} (is the node running, and is --node its tunnel.admin.listen?)");
        return ExitCodes.Unavailable;
    }

    private async Task<int> FailedAsync(HttpResponseMessage response, CancellationToken cancel)
    {
        string error;
        try { error = (await response.Content.ReadFromJsonAsync(AdminJson.Default.ApiError, cancel))?.Error ?? response.ReasonPhrase ?? ""; }
        catch (JsonException) { error = response.ReasonPhrase ?? ""; }
        await _console.Error.WriteLineAsync($"tunnel: {error}");
        return response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.NoPermission,
            HttpStatusCode.BadRequest => ExitCodes.Usage,
            HttpStatusCode.ServiceUnavailable => ExitCodes.Unavailable,
            _ => ExitCodes.Failure,
        };
    }

    public void Dispose() => _http.Dispose();
}
