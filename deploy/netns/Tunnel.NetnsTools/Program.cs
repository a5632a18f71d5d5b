using Tunnel.NetnsTools;

// tunnel-netns dns --zones <dir> --listen <address:port>...                      the draft's DNS server
// tunnel-netns receive --listen <address:port> --hostname <name> --maildir <dir>  a mail host's MX: stores .eml files
// tunnel-netns send --from <address> --to <address> --subject <text> [--helo <name>] [--server <host[:port]>]
//                   [--tunnel <host>] [--port <n>]                                 a mail host sending by MX
// Each runs inside one network namespace of deploy/netns/draft-world.sh, using that namespace's
// /etc/resolv.conf (ip netns exec mounts /etc/netns/<name>/resolv.conf over it).
try
{
    var command = args.Length > 0 ? args[0] : "";
    var options = Options.Parse(args.Skip(1));
    return command switch
    {
        "dns" => await ZoneServer.RunAsync(options),
        "receive" => await Mailbox.RunAsync(options),
        "send" => await MxSender.RunAsync(options),
        _ => Usage($"unknown command '{command}'"),
    };
}
catch (UsageException e)
{
    return Usage(e.Message);
}

static int Usage(string problem)
{
    Console.Error.WriteLine($"tunnel-netns: {problem}. Commands: dns, receive, send (see deploy/netns/README.md).");
    return 64; // EX_USAGE
}
