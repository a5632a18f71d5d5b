using Tunnel.Tests.Testing;

namespace Tunnel.Bench;

/// <summary>
/// Counts what the sink received per sequence number. Lost: accepted with 250 but never
/// delivered. Duplicated: delivered more than once (at-least-once delivery allows it after a
/// crash, but a run without crashes must have none). Unasked: delivered though the node never
/// said 250 for it (it answered 4xx, or the connection broke before its reply).
/// </summary>
public sealed record DeliveryCheck(int Received, int Lost, int Duplicated, int Unasked, int Foreign)
{
    public static DeliveryCheck Of(IReadOnlyList<ReceivedMail> received, BenchMessage messages, bool[] accepted)
    {
        var copies = new int[accepted.Length];
        var foreign = 0;
        foreach (var mail in received)
        {
            if (messages.SeqOf(mail.Data) is { } seq && seq >= 0 && seq < copies.Length) copies[seq]++;
            else foreign++;
        }
        int lost = 0, duplicated = 0, unasked = 0;
        for (var seq = 0; seq < copies.Length; seq++)
        {
            if (accepted[seq] && copies[seq] == 0) lost++;
            if (!accepted[seq] && copies[seq] > 0) unasked++;
            if (copies[seq] > 1) duplicated += copies[seq] - 1;
        }
        return new DeliveryCheck(received.Count, lost, duplicated, unasked, foreign);
    }

    /// <summary>How many different messages of this run are among <paramref name="received"/>.</summary>
    public static int Distinct(IEnumerable<ReceivedMail> received, BenchMessage messages) =>
        received.Select(m => messages.SeqOf(m.Data)).Where(s => s is not null).Distinct().Count();
}
