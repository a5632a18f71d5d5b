using System.Data.Common;
using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Tunnel.Cluster.Spool;

/// <summary>
/// The spool's one writer, with group commit: it takes every change waiting (up to
/// <see cref="MaxBatch"/>), applies them in one transaction and completes them together when
/// that commit is durable. Under load many messages share one commit (the disk does a few
/// thousand fsyncs a second; a message costs one otherwise); alone, a change is committed at
/// once. A failed batch fails every change in it, and the callers answer 451 or retry; the
/// connection is reopened for the next batch.
/// </summary>
internal sealed class SpoolWriter
{
    private const int MaxBatch = 256;
    private readonly Func<DbConnection> _connect;
    private readonly Channel<SpoolWrite> _pending = Channel.CreateUnbounded<SpoolWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lazy<Task> _loop;

    public SpoolWriter(Func<DbConnection> connect)
    {
        _connect = connect;
        _loop = new Lazy<Task>(() => Task.Run(RunAsync));
    }

    public Task WriteAsync(SpoolWrite write, CancellationToken cancel)
    {
        _ = _loop.Value;
        if (!_pending.Writer.TryWrite(write)) throw new InvalidOperationException("the spool writer has stopped");
        // The caller may stop waiting; the change still happens, in order with later ones.
        return write.Done.Task.WaitAsync(cancel);
    }

    private async Task RunAsync()
    {
        var batch = new List<SpoolWrite>(MaxBatch);
        DbConnection? connection = null;
        while (await _pending.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var write)) batch.Add(write);
            try
            {
                if (connection is null)
                {
                    connection = _connect();
                    await connection.OpenAsync();
                }
                await using (var transaction = await connection.BeginTransactionAsync())
                {
                    foreach (var write in batch) await ApplyAsync(connection, transaction, write);
                    await transaction.CommitAsync();
                }
                foreach (var write in batch) write.Done.TrySetResult();
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or IOException or TimeoutException)
            {
                foreach (var write in batch) write.Done.TrySetException(e);
                if (connection is not null) await connection.DisposeAsync();
                connection = null;
            }
        }
    }

    private static async Task ApplyAsync(DbConnection connection, DbTransaction transaction, SpoolWrite write)
    {
        switch (write)
        {
            case SpoolWrite.Store store:
                await using (var insert = SpoolStore.Command(connection, transaction,
                                 "INSERT INTO tunnel_spool (message_id, body, created_at) VALUES (@id, @body, @at) ON CONFLICT DO NOTHING"))
                {
                    SpoolStore.Add(insert, "@id", store.Id.Value);
                    // The provider wants an array; one that is exactly the body avoids a copy.
                    SpoolStore.Add(insert, "@body", MemoryMarshal.TryGetArray(store.Body, out var segment)
                        && segment.Offset == 0 && segment.Count == segment.Array!.Length ? segment.Array : store.Body.ToArray());
                    SpoolStore.Add(insert, "@at", store.At.ToUnixTimeMilliseconds());
                    await insert.ExecuteNonQueryAsync();
                }
                foreach (var domain in store.Domains)
                {
                    await using var reference = SpoolStore.Command(connection, transaction,
                        "INSERT INTO tunnel_spool_ref (message_id, domain) VALUES (@id, @domain) ON CONFLICT DO NOTHING");
                    SpoolStore.Add(reference, "@id", store.Id.Value);
                    SpoolStore.Add(reference, "@domain", domain);
                    await reference.ExecuteNonQueryAsync();
                }
                break;
            case SpoolWrite.Release release:
                await using (var drop = SpoolStore.Command(connection, transaction,
                                 "DELETE FROM tunnel_spool_ref WHERE message_id = @id AND domain = @domain"))
                {
                    SpoolStore.Add(drop, "@id", release.Id.Value);
                    SpoolStore.Add(drop, "@domain", release.Domain);
                    await drop.ExecuteNonQueryAsync();
                }
                await using (var orphan = SpoolStore.Command(connection, transaction, """
                                 DELETE FROM tunnel_spool WHERE message_id = @id
                                   AND NOT EXISTS (SELECT 1 FROM tunnel_spool_ref WHERE message_id = @id)
                                 """))
                {
                    SpoolStore.Add(orphan, "@id", release.Id.Value);
                    await orphan.ExecuteNonQueryAsync();
                }
                break;
            case SpoolWrite.Delete delete:
                foreach (var table in new[] { "tunnel_spool_ref", "tunnel_spool" })
                {
                    await using var command = SpoolStore.Command(connection, transaction, $"DELETE FROM {table} WHERE message_id = @id");
                    SpoolStore.Add(command, "@id", delete.Id.Value);
                    await command.ExecuteNonQueryAsync();
                }
                break;
        }
    }
}
