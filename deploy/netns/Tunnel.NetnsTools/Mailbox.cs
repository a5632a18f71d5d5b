using System.Globalization;
using System.Text;
using Tunnel.Tests.Testing;

namespace Tunnel.NetnsTools;

/// <summary>
/// A mail host's MX: accepts SMTP on one endpoint (the test harness's <see cref="SinkMx"/>) and
/// stores every message as an .eml file in a maildir, with the Return-Path and Received lines a
/// final MTA adds, so the file shows who handed it over: in the demo, a tunnel node's address.
/// Prints one line per message stored.
/// </summary>
public static class Mailbox
{
    private static readonly TimeSpan Poll = TimeSpan.FromDays(1);

    public static async Task<int> RunAsync(Options options)
    {
        var endpoint = options.Endpoint(options.Required("listen"));
        var hostname = options.Required("hostname");
        var maildir = Directory.CreateDirectory(options.Required("maildir")).FullName;

        await using var sink = SinkMx.Start(endpoint);
        Console.WriteLine($"receive: {hostname} listening on {sink.EndPoint}, storing into {maildir}");
        var stored = 0;
        var stop = Shutdown.Signalled();
        while (!stop.IsCompleted)
        {
            var arrived = sink.WaitForMessagesAsync(stored + 1, Poll);
            if (await Task.WhenAny(arrived, stop) != arrived) break;
            foreach (var mail in (await arrived).Skip(stored))
                Store(mail, ++stored, hostname, maildir);
        }
        return 0;
    }

    private static void Store(ReceivedMail mail, int number, string hostname, string maildir)
    {
        var trace = $"Return-Path: <{mail.Sender}>\r\n" +
                    $"Received: from [{mail.Client.Address}] by {hostname} (tunnel-netns receive) with ESMTP\r\n" +
                    $"\tfor <{string.Join(">, <", mail.Recipients)}>; {RfcDate(DateTimeOffset.Now)}\r\n";
        var file = Path.Combine(maildir, $"{number:D4}.eml");
        File.WriteAllBytes(file, [.. Encoding.ASCII.GetBytes(trace), .. mail.Data]);
        Console.WriteLine($"receive: {hostname} stored {file} from [{mail.Client.Address}]:{mail.Client.Port}, " +
                          $"from=<{mail.Sender}>, to=<{string.Join(">,<", mail.Recipients)}>, subject={Header(mail.Text, "Subject")}");
    }

    /// <summary>RFC 5322 §3.3: "Sat, 29 Nov 2026 23:01:33 +0000".</summary>
    public static string RfcDate(DateTimeOffset time) =>
        time.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture) + time.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "");

    private static string Header(string message, string name)
    {
        foreach (var line in message.Split("\r\n"))
        {
            if (line.Length == 0) break; // end of the header section
            if (line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)) return line[(name.Length + 1)..].Trim();
        }
        return "";
    }
}
