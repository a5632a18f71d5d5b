using System.Net;
using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Testing;

namespace Tunnel.NetnsTools;

/// <summary>
/// A mail host sending one message the way an MTA does (RFC 5321 §5.1): MX records of the
/// recipient's domain by preference, the addresses of each MX host, only those of a family this
/// host has, one address after the other until one takes the message. What the draft asks of an
/// IPv6-only sender (§2.3) is the <c>--tunnel</c> option: when no MX address of our family is
/// left, connect to the tunnel instead. <c>--server</c> skips the lookup (a fixed relay host).
/// Every DNS answer and SMTP reply is printed. Exit codes: 0 delivered, 69 refused (5xx),
/// 75 not delivered now (nothing reachable, or 4xx).
/// </summary>
public static class MxSender
{
    private const int Delivered = 0, Refused = 69, NotNow = 75;

    public static async Task<int> RunAsync(Options options)
    {
        var from = options.Required("from");
        var to = options.Required("to");
        var subject = options.Optional("subject") ?? "tunnel-netns test";
        var helo = options.Optional("helo") ?? Dns.GetHostName();
        var port = int.Parse(options.Optional("port") ?? "25");
        var families = LocalFamilies();
        var dns = Resolver.FromResolvConf();
        Say($"this host has {string.Join(" and ", families.Select(Name))}; resolver {dns} (from /etc/resolv.conf)");

        var targets = options.Optional("server") is { } server
            ? await FixedServerAsync(dns, server, families, port)
            : await MxTargetsAsync(dns, to[(to.LastIndexOf('@') + 1)..], families, port);
        if (targets.Count == 0 && options.Optional("tunnel") is { } tunnel)
        {
            Say($"no MX address of a family this host has: relaying through the tunnel {tunnel} (draft §2.3)");
            targets = await FixedServerAsync(dns, tunnel, families, port);
        }
        if (targets.Count == 0)
        {
            Say("not delivered: no address this host can reach");
            return NotNow;
        }

        var message = Message(from, to, subject, helo);
        foreach (var (host, endpoint) in targets)
        {
            var verdict = await TryAsync(host, endpoint, helo, from, to, message);
            if (verdict != NotNow) return verdict;
        }
        Say("not delivered: every address failed (an MTA would keep the message and retry later)");
        return NotNow;
    }

    private static async Task<List<(string Host, IPEndPoint Endpoint)>> MxTargetsAsync(Resolver dns, string domain, AddressFamily[] families, int port)
    {
        var exchanges = await dns.MxAsync(domain);
        if (exchanges.Count == 0)
        {
            Say($"{domain} has no MX: its own address records are the implicit MX (RFC 5321 §5.1)");
            exchanges = [(0, domain)];
        }
        var targets = new List<(string, IPEndPoint)>();
        foreach (var (preference, host) in exchanges.OrderBy(e => e.Preference))
        {
            Say($"MX {preference} {host}");
            foreach (var address in await dns.AddressesAsync(host))
            {
                var usable = families.Contains(address.AddressFamily);
                Say($"  {host}[{address}] {(usable ? "candidate" : $"skipped: {Name(address.AddressFamily)}, which this host lacks")}");
                if (usable) targets.Add((host, new IPEndPoint(address, port)));
            }
        }
        return targets;
    }

    /// <summary>"address", "address:port" ([IPv6]:port) or a host name, whose addresses are looked up.</summary>
    private static async Task<List<(string Host, IPEndPoint Endpoint)>> FixedServerAsync(Resolver dns, string server, AddressFamily[] families, int port)
    {
        if (IPEndPoint.TryParse(server, out var endpoint) && endpoint.Port != 0) return [(server, endpoint)];
        if (IPAddress.TryParse(server, out var address)) return [(server, new IPEndPoint(address, port))];
        var targets = new List<(string, IPEndPoint)>();
        foreach (var found in await dns.AddressesAsync(server))
        {
            var usable = families.Contains(found.AddressFamily);
            Say($"  {server}[{found}] {(usable ? "candidate" : $"skipped: {Name(found.AddressFamily)}, which this host lacks")}");
            if (usable) targets.Add((server, new IPEndPoint(found, port)));
        }
        return targets;
    }

    /// <summary>One SMTP transaction; <see cref="NotNow"/> means "try the next address".</summary>
    private static async Task<int> TryAsync(string host, IPEndPoint endpoint, string helo, string from, string to, byte[] message)
    {
        var where = host == endpoint.Address.ToString() || host == endpoint.ToString()
            ? $"[{endpoint.Address}]:{endpoint.Port}"
            : $"{host}[{endpoint.Address}]:{endpoint.Port}";
        RawSmtpClient client;
        try
        {
            client = await RawSmtpClient.ConnectAsync(endpoint);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            Say($"connect {where}: {(e is SocketException s ? s.SocketErrorCode.ToString() : "timed out")}");
            return NotNow;
        }

        await using (client)
        {
            try
            {
                Say($"connect {where}: connected");
                if (!Ok(await Reply(client.ReadReplyAsync()), "220")) return NotNow;
                if (!Ok(await Command(client, $"EHLO {helo}"), "250")) return NotNow;
                foreach (var (command, expected) in new[] { ($"MAIL FROM:<{from}>", "250"), ($"RCPT TO:<{to}>", "250"), ("DATA", "354") })
                {
                    var reply = await Command(client, command);
                    if (!Ok(reply, expected)) return reply.StartsWith('5') ? Refused : NotNow;
                }
                Say($"> ({message.Length} octets of message, then .)");
                await client.SendAsync(message);
                var final = await Reply(client.ReadReplyAsync());
                await Command(client, "QUIT");
                if (!Ok(final, "250")) return final.StartsWith('5') ? Refused : NotNow;
                Say($"delivered to {where}: {final}");
                return Delivered;
            }
            catch (Exception e) when (e is IOException or SocketException or EndOfStreamException or OperationCanceledException)
            {
                Say($"{where}: connection lost ({e.Message})");
                return NotNow;
            }
        }
    }

    private static async Task<string> Command(RawSmtpClient client, string line)
    {
        Say($"> {line}");
        return await Reply(client.CommandAsync(line));
    }

    private static async Task<string> Reply(Task<string> reply)
    {
        var text = await reply;
        foreach (var line in text.Split('\n')) Say($"< {line}");
        return text;
    }

    private static bool Ok(string reply, string expected) => reply.StartsWith(expected, StringComparison.Ordinal);

    private static byte[] Message(string from, string to, string subject, string helo)
    {
        var body = $"This message was sent by {helo} with tunnel-netns send.\r\n.A line starting with a dot survives dot-stuffing.\r\n";
        var text = $"From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nDate: {Mailbox.RfcDate(DateTimeOffset.Now)}\r\n" +
                   $"Message-ID: <{Guid.NewGuid():N}@{helo}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{body}";
        var stuffed = string.Concat(text.Split("\r\n").SkipLast(1).Select(l => (l.StartsWith('.') ? "." + l : l) + "\r\n")); // RFC 5321 §4.5.2
        return Encoding.ASCII.GetBytes(stuffed + ".\r\n");
    }

    /// <summary>The families of this host's global addresses: loopback and link-local reach no other host.</summary>
    private static AddressFamily[] LocalFamilies() =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses.Select(a => a.Address))
            .Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal && !(a.AddressFamily == AddressFamily.InterNetwork && a.GetAddressBytes()[0] == 169))
            .Select(a => a.AddressFamily).Distinct().OrderByDescending(f => f).ToArray(); // IPv6 first, as dual-stack MTAs do

    private static string Name(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    private static void Say(string line) => Console.WriteLine($"send: {line}");
}
