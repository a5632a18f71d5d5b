using System.Data.Common;
using Microsoft.Data.Sqlite;
using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Spool;

/// <summary>
/// Message bodies, stored once per message in the same database as the journal (DESIGN:
/// bodies never travel through remoting). Each destination domain holding the message has a
/// reference row; a domain releases its reference when all its recipients are final, and the
/// body goes with the last reference. Releasing is idempotent, so a DomainQueue that crashed
/// after releasing can safely release again on recovery; a counter would not be.
/// Writes are grouped: <see cref="SpoolWriter"/> commits whatever is waiting in one transaction
/// (one fsync for many messages), and it is the only writer, so writers never collide on SQLite's
/// single write lock. Reads run beside it on their own connections.
/// Owns: the spool tables. Does not own: deciding when a message is final (Queue/).
/// </summary>
public sealed class SpoolStore(Func<DbConnection> connect)
{
    private readonly SpoolWriter _writer = new(connect);

    /// <summary>Creates the tables if missing (first start) and sets SQLite to WAL.</summary>
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
        await ExecuteAsync(connection, $"""
            CREATE TABLE IF NOT EXISTS tunnel_spool (
                message_id VARCHAR(32) NOT NULL PRIMARY KEY,
                body {(sqlite ? "BLOB" : "BYTEA")} NOT NULL,
                created_at BIGINT NOT NULL);
            CREATE TABLE IF NOT EXISTS tunnel_spool_ref (
                message_id VARCHAR(32) NOT NULL,
                domain VARCHAR(255) NOT NULL,
                PRIMARY KEY (message_id, domain));
            """, cancel, transaction);
        await transaction.CommitAsync(cancel);
    }

    /// <summary>
    /// Stores the body and one reference per destination domain, durably. Storing the same id
    /// again changes nothing (a resubmitted DSN, a retried submission).
    /// </summary>
    public Task StoreAsync(MessageId id, ReadOnlyMemory<byte> body, IEnumerable<string> domains, DateTimeOffset at, CancellationToken cancel) =>
        _writer.WriteAsync(new SpoolWrite.Store(id, body, domains.ToList(), at), cancel);

    /// <summary>The stored body, or null when it is gone.</summary>
    public async Task<byte[]?> ReadAsync(MessageId id, CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel);
        await using var select = Command(connection, null, "SELECT body FROM tunnel_spool WHERE message_id = @id");
        Add(select, "@id", id.Value);
        return await select.ExecuteScalarAsync(cancel) as byte[];
    }

    /// <summary>Drops <paramref name="domain"/>'s reference and the body once nobody references it.</summary>
    public Task ReleaseAsync(MessageId id, string domain, CancellationToken cancel) =>
        _writer.WriteAsync(new SpoolWrite.Release(id, domain), cancel);

    /// <summary>Removes the body and every reference: ingress withdrawing a message it never confirmed.</summary>
    public Task DeleteAsync(MessageId id, CancellationToken cancel) =>
        _writer.WriteAsync(new SpoolWrite.Delete(id), cancel);

    /// <summary>How many bodies are stored (for tests and the operator's queue view).</summary>
    public async Task<long> CountAsync(CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel);
        await using var count = Command(connection, null, "SELECT COUNT(*) FROM tunnel_spool");
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

    internal static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
