using System.Diagnostics;
using Tunnel.Cluster.Spool;
using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Outbound;

/// <summary>
/// Reads a message's body from the spool for one attempt, within the node's bounds on outbound
/// work: at most <c>tunnel.outbound.max-spool-reads</c> reads at once (each holds a database
/// connection, from the pool that intake and the journal share), and the body is kept only with
/// room for it in <see cref="BodyBudget"/> (<c>max-content-in-flight</c>), until the attempt
/// ends. The size is known only once the body is read (the queue does not pass it), so a read
/// keeps its place among the reads while its body waits for room: memory stays below
/// max-content-in-flight + max-spool-reads × the largest message. Both waits together last at
/// most <c>capacity-wait</c>; then the attempt is deferred (4.4.5), never failed.
/// One per node (the Courier's). Thread-safe.
/// </summary>
public sealed class BodyReader(SpoolStore spool, OutboundSettings settings)
{
    private readonly SemaphoreSlim _reads = new(settings.MaxSpoolReads);
    private readonly BodyBudget _budget = new(settings.MaxContentInFlight);

    public async Task<HeldBody> ReadAsync(MessageId id, string domain, CancellationToken cancel)
    {
        var waited = Stopwatch.StartNew();
        if (!await _reads.WaitAsync(settings.Wait, cancel))
            return HeldBody.Busy(owed: false,
                $"no spool read within {settings.WaitText}: {settings.MaxSpoolReads} bodies are being read (tunnel.outbound.max-spool-reads)");
        try
        {
            var read = await spool.ReadForDeliveryAsync(id, domain, cancel);
            if (!read.Owed || read.Body is not { } body) return new HeldBody(read.Owed, read.Body, null, null);
            var remaining = settings.Wait - waited.Elapsed;
            if (await _budget.EnterAsync(body.Length, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, cancel) is { } room)
                return new HeldBody(Owed: true, body, room, null);
            return HeldBody.Busy(owed: true,
                $"no room within {settings.WaitText} for this message's {body.Length} bytes: {_budget.Held} of {_budget.Capacity} bytes " +
                "of message bodies are held for sending (tunnel.outbound.max-content-in-flight)");
        }
        finally
        {
            _reads.Release();
        }
    }
}
