using System.Diagnostics;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Tunnel.Messages.Serialization;

namespace Tunnel.Cluster.Spool;

/// <summary>
/// The outbox and the message bodies, in the same database as the journal (DESIGN: bodies never
/// travel through remoting). A message is stored once, in one transaction with one reference
/// row per recipient domain; a reference row carries that domain's envelope (a
/// <see cref="NewMail"/>) and is the truth that the domain still owes the message: its queue
/// adopts it (told by ingress, or by reading the rows it has not adopted) and delivers it only
/// while the row exists. A domain releases its row when its recipients are final, and the body
/// goes with the last reference, atomically. Releasing is idempotent, so a DomainQueue that
/// crashed after releasing can safely release again on recovery.
/// Writes are grouped: <see cref="SpoolWriter"/> commits whatever is waiting in one transaction
/// (one fsync for many messages), and it is the only writer, so writers never collide on SQLite's
/// single write lock. Reads run beside it on their own connections.
/// It also keeps the MTA-STS policies nodes fetched (tunnel_mta_sts), so that the cluster fetches each once.
/// Owns: the spool tables. Does not own: deciding when a message is final (Queue/).
/// </summary>
public sealed class SpoolStore(Func<DbConnection> connect)
{
    private readonly SpoolWriter _writer = new(connect);

    /// <summary>Creates the tables if missing (first start), adds the outbox's columns to older ones, and sets SQLite to WAL.</summary>
    public async Task InitialiseAsync(CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel);
        var sqlite = connection is SqliteConnection;
        if (sqlite)
        {
            // WAL lets readers (deliveries) run beside the single writer; it is persistent in the
            // file. synchronous=FULL (the default, stated here on purpose) makes a commit durable
            // before we answer 250.
            await ExecuteAsync(connection, "PRAGMA journal_mode=WAL;", cancel);
        }
        await using var transaction = await connection.BeginTransactionAsync(cancel);
        // Nodes of a cluster start together: one creates the tables, the others wait for it
        // (CREATE TABLE IF NOT EXISTS is not safe against itself in PostgreSQL). A transaction
        // lock, so that it ends with the transaction and not with a pooled session.
        if (!sqlite) await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(4711);", cancel, transaction);
        var bytes = sqlite ? "BLOB" : "BYTEA";
        await ExecuteAsync(connection, $"""
            CREATE TABLE IF NOT EXISTS tunnel_spool (
                message_id VARCHAR(32) NOT NULL PRIMARY KEY,
                body {bytes} NOT NULL,
                created_at BIGINT NOT NULL);
            CREATE TABLE IF NOT EXISTS tunnel_spool_ref (
                message_id VARCHAR(32) NOT NULL,
                domain VARCHAR(255) NOT NULL,
                PRIMARY KEY (message_id, domain));
            CREATE TABLE IF NOT EXISTS tunnel_mta_sts (
                domain VARCHAR(255) NOT NULL PRIMARY KEY,
                policy_id VARCHAR(32) NOT NULL,
                policy TEXT NOT NULL,
                fetched_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL);
            """, cancel, transaction);
        // The outbox's columns. Rows from before it were adopted through the queue's own
        // Enqueue: adopted = 1, and they carry no envelope.
        var columns = await ColumnsAsync(connection, transaction, "tunnel_spool_ref", cancel);
        foreach (var (name, definition) in new[]
                 {
                     ("envelope", $"{bytes} NULL"),
                     ("adopted", "SMALLINT NOT NULL DEFAULT 1"),
                     ("created_at", "BIGINT NOT NULL DEFAULT 0"),
                     ("notified", "VARCHAR(128) NOT NULL DEFAULT ','"),
                     // The sub-queue of a split domain that owns the reference; rows from before
                     // splitting belong to the domain's plain queue, which is sub-queue 0.
                     ("part", "SMALLINT NOT NULL DEFAULT 0"),
                 })
        {
            if (!columns.Contains(name))
                await ExecuteAsync(connection, $"ALTER TABLE tunnel_spool_ref ADD COLUMN {name} {definition};", cancel, transaction);
        }
        // Only the references no queue has adopted yet: few, so the index stays small.
        await ExecuteAsync(connection,
            "CREATE INDEX IF NOT EXISTS tunnel_spool_ref_unadopted ON tunnel_spool_ref (created_at) WHERE adopted = 0;", cancel, transaction);
        await transaction.CommitAsync(cancel);
    }

    /// <summary>
    /// Puts a message into the outbox: the body and one reference per recipient domain, in one
    /// durable commit. Waits at most <paramref name="timeout"/> for it; past that the store is
    /// abandoned and taken back out unless its commit had already begun, in which case this
    /// waits for the commit's outcome up to <paramref name="limit"/> in all. Throws
    /// <see cref="SpoolTimeoutException"/> when nothing was kept; any other exception means the
    /// commit failed. Returns false only for a guarded DSN that had been stored already.
    /// </summary>
    public Task<bool> StoreAsync(MessageId id, ReadOnlyMemory<byte> body, IReadOnlyList<NewMail> references, DateTimeOffset at,
        TimeSpan timeout, TimeSpan limit, NoticeGuard? guard = null) =>
        StoreAsync(id, MessageBody.Of(body), references, at, timeout, limit, guard);

    /// <inheritdoc cref="StoreAsync(MessageId, ReadOnlyMemory{byte}, IReadOnlyList{NewMail}, DateTimeOffset, TimeSpan, TimeSpan, NoticeGuard?)"/>
    /// <param name="timing">Filled with where the store's time went (<see cref="StoreTiming"/>), when given.</param>
    public async Task<bool> StoreAsync(MessageId id, MessageBody body, IReadOnlyList<NewMail> references, DateTimeOffset at,
        TimeSpan timeout, TimeSpan limit, NoticeGuard? guard = null, StoreTiming? timing = null)
    {
        timing ??= new StoreTiming();
        var store = new SpoolWrite.Store(id, body,
            references.Select(r => new SpoolReference(r.Domain, r.Part, TunnelSerializer.Serialize(r))).ToList(), at, guard, timing);
        timing.Queued = Stopwatch.GetTimestamp();
        _writer.Enqueue(store);
        try
        {
            return await store.Done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException) when (store.TryAbandon())
        {
            throw new SpoolTimeoutException($"the spool did not commit within {timeout.TotalSeconds:0.#}s");
        }
        catch (TimeoutException)
        {
            // The commit has begun: its outcome decides. Past the limit we cannot know it.
            try
            {
                return await store.Done.Task.WaitAsync(limit > timeout ? limit - timeout : TimeSpan.Zero);
            }
            catch (TimeoutException)
            {
                throw new SpoolTimeoutException($"the spool's commit did not finish within {limit.TotalSeconds:0.#}s; its outcome is unknown");
            }
        }
        catch (TaskCanceledException)
        {
            throw new SpoolTimeoutException("the store was abandoned before the spool's commit");
        }
    }

    /// <summary>
    /// What a delivery attempt needs: whether <paramref name="domain"/> still owes the message
    /// (its reference row exists) and the body. The two are read together, so a queue never
    /// sends a message whose recipients here are already final.
    /// </summary>
    public async Task<SpoolRead> ReadForDeliveryAsync(MessageId id, string domain, CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel);
        await using var select = Command(connection, null, """
            SELECT s.body FROM tunnel_spool_ref r LEFT JOIN tunnel_spool s ON s.message_id = r.message_id
            WHERE r.message_id = @id AND r.domain = @domain
            """);
        Add(select, "@id", id.Value);
        Add(select, "@domain", domain);
        await using var reader = await select.ExecuteReaderAsync(cancel);
        if (!await reader.ReadAsync(cancel)) return new SpoolRead(Owed: false, Body: null);
        return new SpoolRead(Owed: true, reader.IsDBNull(0) ? null : (byte[])reader.GetValue(0));
    }

    /// <summary>Whether <paramref name="domain"/> still owes the message: its reference row exists.</summary>
    public async Task<bool> IsOwedAsync(MessageId id, string domain, CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel);
        await using var select = Command(connection, null, "SELECT 1 FROM tunnel_spool_ref WHERE message_id = @id AND domain = @domain");
        Add(select, "@id", id.Value);
        Add(select, "@domain", domain);
        return await select.ExecuteScalarAsync(cancel) is not null;
    }

    /// <summary>The stored body, or null when it is gone.</summary>
    public async Task<byte[]?> ReadAsync(MessageId id, CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel);
        await using var select = Command(connection, null, "SELECT body FROM tunnel_spool WHERE message_id = @id");
        Add(select, "@id", id.Value);
        return await select.ExecuteScalarAsync(cancel) as byte[];
    }

    /// <summary>
    /// References no queue has adopted yet, oldest first: of one domain's sub-queue
    /// <paramref name="part"/> (a queue's own scan on start; 0 is the plain queue), or of any
    /// domain and older than <paramref name="before"/> (the node's sweep for mail whose notice to
    /// its queue was lost). Each carries the sub-queue its row names, whatever the split is now.
    /// </summary>
    public async Task<IReadOnlyList<NewMail>> UnadoptedAsync(string? domain, DateTimeOffset? before, int limit, CancellationToken cancel, int part = 0)
    {
        await using var connection = await OpenAsync(cancel);
        await using var select = Command(connection, null, $"""
            SELECT envelope, part FROM tunnel_spool_ref
            WHERE adopted = 0 AND envelope IS NOT NULL{(domain is null ? "" : " AND domain = @domain AND part = @part")}{(before is null ? "" : " AND created_at < @before")}
            ORDER BY created_at LIMIT {limit}
            """);
        if (domain is not null)
        {
            Add(select, "@domain", domain);
            Add(select, "@part", part);
        }
        if (before is { } time) Add(select, "@before", time.ToUnixTimeMilliseconds());
        await using var reader = await select.ExecuteReaderAsync(cancel);
        var found = new List<NewMail>();
        while (await reader.ReadAsync(cancel))
            found.Add(TunnelSerializer.Deserialize<NewMail>((byte[])reader.GetValue(0)) with { Part = Convert.ToInt32(reader.GetValue(1)) });
        return found;
    }

    /// <summary>Drops <paramref name="domain"/>'s reference and, atomically, the body once nobody references it.</summary>
    public Task ReleaseAsync(MessageId id, string domain) => Write(new SpoolWrite.Release(id, domain));

    /// <summary>Records that <paramref name="domain"/>'s queue holds these messages in its journal: the sweep need not tell it again.</summary>
    public Task MarkAdoptedAsync(string domain, IReadOnlyList<MessageId> ids) => Write(new SpoolWrite.MarkAdopted(domain, ids));

    /// <summary>Removes bodies nobody references and references whose body is gone, created before <paramref name="before"/>.</summary>
    public async Task<IReadOnlyList<OrphanRemoved>> SweepOrphansAsync(DateTimeOffset before)
    {
        var sweep = new SpoolWrite.SweepOrphans(before);
        await Write(sweep);
        return sweep.Removed;
    }

    /// <summary>The MTA-STS policy a node of the cluster fetched for <paramref name="domain"/>, or null (expired ones too: the reader decides).</summary>
    public async Task<StoredMtaStsPolicy?> MtaStsPolicyAsync(string domain, CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel);
        await using var select = Command(connection, null,
            "SELECT policy_id, policy, fetched_at, expires_at FROM tunnel_mta_sts WHERE domain = @domain");
        Add(select, "@domain", domain);
        await using var reader = await select.ExecuteReaderAsync(cancel);
        if (!await reader.ReadAsync(cancel)) return null;
        return new StoredMtaStsPolicy(domain, reader.GetString(0), reader.GetString(1),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)));
    }

    /// <summary>Keeps a fetched MTA-STS policy for every node (through the writer, like every change to the spool).</summary>
    public Task PutMtaStsPolicyAsync(StoredMtaStsPolicy policy) => Write(new SpoolWrite.PutMtaStsPolicy(policy));

    private Task Write(SpoolWrite write)
    {
        _writer.Enqueue(write);
        return write.Done.Task;
    }

    /// <summary>How many bodies are stored (for tests and the operator's queue view).</summary>
    public Task<long> CountAsync(CancellationToken cancel) => CountAsync("tunnel_spool", cancel);

    /// <summary>How many reference rows are stored (for tests).</summary>
    public Task<long> CountReferencesAsync(CancellationToken cancel) => CountAsync("tunnel_spool_ref", cancel);

    private async Task<long> CountAsync(string table, CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel);
        await using var count = Command(connection, null, $"SELECT COUNT(*) FROM {table}");
        return Convert.ToInt64(await count.ExecuteScalarAsync(cancel));
    }

    /// <summary>Throws unless the database answers a trivial query: the storage half of the node's readiness.</summary>
    public async Task PingAsync(CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel);
        await using var select = Command(connection, null, "SELECT 1");
        await select.ExecuteScalarAsync(cancel);
    }

    internal async Task<DbConnection> OpenAsync(CancellationToken cancel)
    {
        var connection = connect();
        await connection.OpenAsync(cancel);
        return connection;
    }

    internal static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancel, DbTransaction? transaction = null)
    {
        await using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancel);
    }

    private static async Task<HashSet<string>> ColumnsAsync(DbConnection connection, DbTransaction transaction, string table, CancellationToken cancel)
    {
        await using var select = Command(connection, transaction, $"SELECT * FROM {table} LIMIT 0");
        await using var reader = await select.ExecuteReaderAsync(cancel);
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    internal static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

/// <summary>What a delivery attempt read: whether the domain still owes the message, and its body (null when gone).</summary>
public sealed record SpoolRead(bool Owed, byte[]? Body);

/// <summary>The spool did not commit a store in time, and it was taken back: nothing of the message is kept.</summary>
public sealed class SpoolTimeoutException(string message) : Exception(message);
