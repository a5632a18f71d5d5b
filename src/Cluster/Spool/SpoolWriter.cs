using System.Diagnostics;
using System.Data.Common;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Tunnel.Cluster.Spool;

/// <summary>
/// The spool's one writer, with group commit: it takes every change waiting (up to
/// <see cref="MaxBatch"/>) and applies them in two transactions, completing each change when
/// its commit is durable. The outbox stores (the 250s) go first and alone, so housekeeping
/// (releases, adoption marks, the orphan sweep) can never fail or slow an intake commit. Under
/// load many messages share one commit; alone, a change is committed at once. A failed
/// transaction fails every change in it, and the callers answer 451 or retry; the connection is
/// reopened for the next one.
/// </summary>
internal sealed class SpoolWriter
{
    private const int MaxBatch = 256;

    /// <summary>Bodies up to this size are written as one array (copied if they come in two pieces).</summary>
    public const int InlineBody = 64 * 1024;
    private const int MaxIdsPerStatement = 500;
    private readonly Func<DbConnection> _connect;
    private readonly Channel<SpoolWrite> _pending = Channel.CreateUnbounded<SpoolWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lazy<Task> _loop;

    public SpoolWriter(Func<DbConnection> connect)
    {
        _connect = connect;
        _loop = new Lazy<Task>(() => Task.Run(RunAsync));
    }

    /// <summary>Queues a change; its <see cref="SpoolWrite.Done"/> says when (and whether) it is durable.</summary>
    public void Enqueue(SpoolWrite write)
    {
        _ = _loop.Value;
        if (!_pending.Writer.TryWrite(write)) throw new InvalidOperationException("the spool writer has stopped");
    }

    private async Task RunAsync()
    {
        var batch = new List<SpoolWrite>(MaxBatch);
        DbConnection? connection = null;
        while (await _pending.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var write)) batch.Add(write);
            var stores = new List<SpoolWrite.Store>();
            var housekeeping = new List<SpoolWrite>();
            foreach (var write in batch)
            {
                if (write is not SpoolWrite.Store store) housekeeping.Add(write);
                else if (store.IsAbandoned) store.Done.TrySetCanceled(); // its client already got 451
                else stores.Add(store);
            }
            connection = await RunAsync(connection, stores, StoreAsync);
            connection = await RunAsync(connection, housekeeping, HousekeepAsync);
        }
    }

    private async Task<DbConnection?> RunAsync<T>(DbConnection? connection, List<T> writes,
        Func<DbConnection, DbTransaction, List<T>, Task<bool[]>> apply) where T : SpoolWrite
    {
        if (writes.Count == 0) return connection;
        try
        {
            if (connection is null)
            {
                connection = _connect();
                await connection.OpenAsync();
            }
            bool[] results;
            Mark(writes, static (t, at, n) => { t.Started = at; t.Batch = n; });
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                results = await apply(connection, transaction, writes);
                Mark(writes, static (t, at, _) => t.Written = at);
                await transaction.CommitAsync();
            }
            Mark(writes, static (t, at, _) => t.Committed = at);
            for (var i = 0; i < writes.Count; i++) writes[i].Done.TrySetResult(results[i]);
            return connection;
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or IOException or TimeoutException)
        {
            foreach (var write in writes) write.Done.TrySetException(e);
            if (connection is not null) await connection.DisposeAsync();
            return null;
        }
    }

    /// <summary>Stamps each store of a batch (the intake's step timings); housekeeping is not timed.</summary>
    private static void Mark<T>(List<T> writes, Action<StoreTiming, long, int> mark) where T : SpoolWrite
    {
        var at = Stopwatch.GetTimestamp();
        foreach (var write in writes)
            if (write is SpoolWrite.Store store) mark(store.Timing, at, writes.Count);
    }

    /// <summary>
    /// The outbox: each message's body and references. Just before the commit each store is
    /// claimed; one whose caller gave up in the meantime is taken out again, inside the same
    /// transaction, so that nothing of a message answered 451 is ever committed.
    /// </summary>
    private static async Task<bool[]> StoreAsync(DbConnection connection, DbTransaction transaction, List<SpoolWrite.Store> stores)
    {
        var stored = new bool[stores.Count];
        for (var i = 0; i < stores.Count; i++)
        {
            var store = stores[i];
            if (store.Guard is { } guard && !await ClaimNoticeAsync(connection, transaction, guard)) continue;
            await InsertBodyAsync(connection, transaction, store);
            foreach (var reference in store.References)
            {
                await using var insert = SpoolStore.Command(connection, transaction, """
                    INSERT INTO tunnel_spool_ref (message_id, domain, envelope, adopted, created_at, notified, part)
                    VALUES (@id, @domain, @envelope, 0, @at, ',', @part) ON CONFLICT DO NOTHING
                    """);
                SpoolStore.Add(insert, "@id", store.Id.Value);
                SpoolStore.Add(insert, "@domain", reference.Domain);
                SpoolStore.Add(insert, "@envelope", reference.Envelope);
                SpoolStore.Add(insert, "@part", reference.Part);
                SpoolStore.Add(insert, "@at", store.At.ToUnixTimeMilliseconds());
                await insert.ExecuteNonQueryAsync();
            }
            stored[i] = true;
        }
        for (var i = 0; i < stores.Count; i++)
        {
            if (stores[i].TryClaim()) continue;
            if (stored[i]) await UndoAsync(connection, transaction, stores[i]);
            stored[i] = false;
        }
        return stored;
    }

    /// <summary>
    /// Bodies up to <see cref="InlineBody"/> go in as one array (a copy, when the header is put in
    /// front). A larger one is never held twice: SQLite reserves the space (zeroblob) and takes
    /// header and content through incremental blob I/O; PostgreSQL concatenates the two
    /// parameters itself. Either reads the content from the session's own buffer, which stays
    /// the caller's until the store is committed or abandoned (an abandoned store's rows are
    /// taken out again, whatever was read).
    /// </summary>
    private static async Task InsertBodyAsync(DbConnection connection, DbTransaction transaction, SpoolWrite.Store store)
    {
        var body = store.Body;
        var sql = body.Length <= InlineBody ? "@body"
            : connection is SqliteConnection ? "zeroblob(@length)"
            : "@header || @content";
        await using var insert = SpoolStore.Command(connection, transaction,
            $"INSERT INTO tunnel_spool (message_id, body, created_at) VALUES (@id, {sql}, @at) ON CONFLICT DO NOTHING");
        SpoolStore.Add(insert, "@id", store.Id.Value);
        SpoolStore.Add(insert, "@at", store.At.ToUnixTimeMilliseconds());
        if (body.Length <= InlineBody) SpoolStore.Add(insert, "@body", body.ToArray());
        else if (connection is SqliteConnection) SpoolStore.Add(insert, "@length", body.Length);
        else
        {
            SpoolStore.Add(insert, "@header", body.Header.ToArray());
            SpoolStore.Add(insert, "@content", Segment(body.Content));
        }
        if (await insert.ExecuteNonQueryAsync() == 0 || body.Length <= InlineBody || connection is not SqliteConnection sqlite) return;

        await using var select = SpoolStore.Command(connection, transaction, "SELECT rowid FROM tunnel_spool WHERE message_id = @id");
        SpoolStore.Add(select, "@id", store.Id.Value);
        var rowid = Convert.ToInt64(await select.ExecuteScalarAsync());
        await using var blob = new SqliteBlob(sqlite, "tunnel_spool", "body", rowid);
        blob.Write(body.Header.Span);
        blob.Write(body.Content.Span);
    }

    private static ArraySegment<byte> Segment(ReadOnlyMemory<byte> memory) =>
        MemoryMarshal.TryGetArray(memory, out var segment) ? segment : new ArraySegment<byte>(memory.ToArray());

    /// <summary>
    /// Records on the original's reference that its DSN of this kind is being stored; false when
    /// one was already (a DSN sent again after a crash), or the reference is gone.
    /// </summary>
    private static async Task<bool> ClaimNoticeAsync(DbConnection connection, DbTransaction transaction, NoticeGuard guard)
    {
        await using var update = SpoolStore.Command(connection, transaction, """
            UPDATE tunnel_spool_ref SET notified = notified || @kind || ','
            WHERE message_id = @id AND domain = @domain AND notified NOT LIKE @pattern
            """);
        SpoolStore.Add(update, "@kind", guard.Kind);
        SpoolStore.Add(update, "@id", guard.Original.Value);
        SpoolStore.Add(update, "@domain", guard.Domain);
        SpoolStore.Add(update, "@pattern", $"%,{guard.Kind},%");
        return await update.ExecuteNonQueryAsync() == 1;
    }

    private static async Task UndoAsync(DbConnection connection, DbTransaction transaction, SpoolWrite.Store store)
    {
        foreach (var table in new[] { "tunnel_spool_ref", "tunnel_spool" })
        {
            await using var delete = SpoolStore.Command(connection, transaction, $"DELETE FROM {table} WHERE message_id = @id");
            SpoolStore.Add(delete, "@id", store.Id.Value);
            await delete.ExecuteNonQueryAsync();
        }
        if (store.Guard is not { } guard) return;
        await using var update = SpoolStore.Command(connection, transaction,
            "UPDATE tunnel_spool_ref SET notified = REPLACE(notified, @mark, ',') WHERE message_id = @id AND domain = @domain");
        SpoolStore.Add(update, "@mark", $",{guard.Kind},");
        SpoolStore.Add(update, "@id", guard.Original.Value);
        SpoolStore.Add(update, "@domain", guard.Domain);
        await update.ExecuteNonQueryAsync();
    }

    private static async Task<bool[]> HousekeepAsync(DbConnection connection, DbTransaction transaction, List<SpoolWrite> writes)
    {
        await LockBodiesAsync(connection, transaction, writes.OfType<SpoolWrite.Release>().Select(r => r.Id.Value));
        foreach (var write in writes)
        {
            switch (write)
            {
                case SpoolWrite.Release release:
                    await ReleaseAsync(connection, transaction, release);
                    break;
                case SpoolWrite.MarkAdopted mark:
                    await MarkAdoptedAsync(connection, transaction, mark);
                    break;
                case SpoolWrite.SweepOrphans sweep:
                    await SweepAsync(connection, transaction, sweep);
                    break;
                case SpoolWrite.PutMtaStsPolicy put:
                    await PutMtaStsPolicyAsync(connection, transaction, put.Policy);
                    break;
            }
        }
        return writes.Select(_ => true).ToArray();
    }

    /// <summary>
    /// PostgreSQL, READ COMMITTED: two nodes releasing the two references of one message at once
    /// could each still see the other's reference and both keep the body. Locking the body rows
    /// first serialises them (the second sees the first's delete); taking the locks in id order
    /// keeps two such transactions from deadlocking. SQLite has one writer at a time anyway.
    /// </summary>
    private static async Task LockBodiesAsync(DbConnection connection, DbTransaction transaction, IEnumerable<string> ids)
    {
        var ordered = ids.Distinct().Order(StringComparer.Ordinal).ToArray();
        if (ordered.Length == 0 || connection is SqliteConnection) return;
        await using var select = SpoolStore.Command(connection, transaction,
            "SELECT message_id FROM tunnel_spool WHERE message_id = ANY(@ids) ORDER BY message_id FOR UPDATE");
        SpoolStore.Add(select, "@ids", ordered);
        await using var reader = await select.ExecuteReaderAsync();
        while (await reader.ReadAsync()) { }
    }

    /// <summary>One row per domain, replaced by the newer fetch (INSERT … ON CONFLICT is the same in SQLite and PostgreSQL).</summary>
    private static async Task PutMtaStsPolicyAsync(DbConnection connection, DbTransaction transaction, StoredMtaStsPolicy policy)
    {
        await using var upsert = SpoolStore.Command(connection, transaction, """
            INSERT INTO tunnel_mta_sts (domain, policy_id, policy, fetched_at, expires_at) VALUES (@domain, @id, @policy, @fetched, @expires)
            ON CONFLICT (domain) DO UPDATE SET policy_id = excluded.policy_id, policy = excluded.policy,
                fetched_at = excluded.fetched_at, expires_at = excluded.expires_at
            """);
        SpoolStore.Add(upsert, "@domain", policy.Domain);
        SpoolStore.Add(upsert, "@id", policy.Id);
        SpoolStore.Add(upsert, "@policy", policy.Text);
        SpoolStore.Add(upsert, "@fetched", policy.FetchedAt.ToUnixTimeMilliseconds());
        SpoolStore.Add(upsert, "@expires", policy.ExpiresAt.ToUnixTimeMilliseconds());
        await upsert.ExecuteNonQueryAsync();
    }

    private static async Task ReleaseAsync(DbConnection connection, DbTransaction transaction, SpoolWrite.Release release)
    {
        await using (var drop = SpoolStore.Command(connection, transaction,
                         "DELETE FROM tunnel_spool_ref WHERE message_id = @id AND domain = @domain"))
        {
            SpoolStore.Add(drop, "@id", release.Id.Value);
            SpoolStore.Add(drop, "@domain", release.Domain);
            await drop.ExecuteNonQueryAsync();
        }
        await using var orphan = SpoolStore.Command(connection, transaction, """
            DELETE FROM tunnel_spool WHERE message_id = @id
              AND NOT EXISTS (SELECT 1 FROM tunnel_spool_ref WHERE message_id = @id)
            """);
        SpoolStore.Add(orphan, "@id", release.Id.Value);
        await orphan.ExecuteNonQueryAsync();
    }

    private static async Task MarkAdoptedAsync(DbConnection connection, DbTransaction transaction, SpoolWrite.MarkAdopted mark)
    {
        foreach (var chunk in mark.Ids.Chunk(MaxIdsPerStatement))
        {
            var names = chunk.Select((_, i) => $"@i{i}").ToList();
            await using var update = SpoolStore.Command(connection, transaction,
                $"UPDATE tunnel_spool_ref SET adopted = 1 WHERE domain = @domain AND message_id IN ({string.Join(", ", names)})");
            SpoolStore.Add(update, "@domain", mark.Domain);
            for (var i = 0; i < chunk.Length; i++) SpoolStore.Add(update, names[i], chunk[i].Value);
            await update.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Bodies no reference points at, and references whose body is gone, older than the sweep's bound.</summary>
    private static async Task SweepAsync(DbConnection connection, DbTransaction transaction, SpoolWrite.SweepOrphans sweep)
    {
        var before = sweep.Before.ToUnixTimeMilliseconds();
        var bodies = await ListAsync(connection, transaction, """
            SELECT s.message_id, NULL, s.created_at FROM tunnel_spool s
            WHERE s.created_at < @before AND NOT EXISTS (SELECT 1 FROM tunnel_spool_ref r WHERE r.message_id = s.message_id)
            LIMIT 1000
            """, before);
        foreach (var body in bodies)
        {
            await using var delete = SpoolStore.Command(connection, transaction, """
                DELETE FROM tunnel_spool WHERE message_id = @id
                  AND NOT EXISTS (SELECT 1 FROM tunnel_spool_ref WHERE message_id = @id)
                """);
            SpoolStore.Add(delete, "@id", body.Id.Value);
            if (await delete.ExecuteNonQueryAsync() == 1) sweep.Removed.Add(body);
        }
        var references = await ListAsync(connection, transaction, """
            SELECT r.message_id, r.domain, r.created_at FROM tunnel_spool_ref r
            WHERE r.created_at < @before AND NOT EXISTS (SELECT 1 FROM tunnel_spool s WHERE s.message_id = r.message_id)
            LIMIT 1000
            """, before);
        foreach (var reference in references)
        {
            await using var delete = SpoolStore.Command(connection, transaction, """
                DELETE FROM tunnel_spool_ref WHERE message_id = @id AND domain = @domain
                  AND NOT EXISTS (SELECT 1 FROM tunnel_spool WHERE message_id = @id)
                """);
            SpoolStore.Add(delete, "@id", reference.Id.Value);
            SpoolStore.Add(delete, "@domain", reference.Domain!);
            if (await delete.ExecuteNonQueryAsync() == 1) sweep.Removed.Add(reference);
        }
    }

    private static async Task<List<OrphanRemoved>> ListAsync(DbConnection connection, DbTransaction transaction, string sql, long before)
    {
        await using var select = SpoolStore.Command(connection, transaction, sql);
        SpoolStore.Add(select, "@before", before);
        await using var reader = await select.ExecuteReaderAsync();
        var found = new List<OrphanRemoved>();
        while (await reader.ReadAsync())
            found.Add(new OrphanRemoved(new Messages.Mail.MessageId(reader.GetString(0)), reader.IsDBNull(1) ? null : reader.GetString(1),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))));
        return found;
    }
}
