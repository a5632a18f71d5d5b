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
/// Owns: the spool tables. Does not own: deciding when a message is final (Queue/).
/// </summary>
public sealed class SpoolStore(Func<DbConnection> connect)
{
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
    /// Stores the body and one reference per destination domain in one transaction. Storing the
    /// same id again changes nothing (a resubmitted DSN, a retried submission).
    /// </summary>
    public async Task StoreAsync(MessageId id, ReadOnlyMemory<byte> body, IEnumerable<string> domains, DateTimeOffset at, CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel);
        await using var transaction = await connection.BeginTransactionAsync(cancel);
        await using (var insert = Command(connection, transaction,
                         "INSERT INTO tunnel_spool (message_id, body, created_at) VALUES (@id, @body, @at) ON CONFLICT DO NOTHING"))
        {
            Add(insert, "@id", id.Value);
            // The provider copies the bytes into its parameter; an array that is exactly the body
            // avoids a second copy.
            Add(insert, "@body", body.Length == 0 ? [] : body.ToArray());
            Add(insert, "@at", at.ToUnixTimeMilliseconds());
            await insert.ExecuteNonQueryAsync(cancel);
        }
        foreach (var domain in domains)
        {
            await using var reference = Command(connection, transaction,
                "INSERT INTO tunnel_spool_ref (message_id, domain) VALUES (@id, @domain) ON CONFLICT DO NOTHING");
            Add(reference, "@id", id.Value);
            Add(reference, "@domain", domain);
            await reference.ExecuteNonQueryAsync(cancel);
        }
        await transaction.CommitAsync(cancel);
    }

    /// <summary>The stored body, or null when it is gone.</summary>
    public async Task<byte[]?> ReadAsync(MessageId id, CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel);
        await using var select = Command(connection, null, "SELECT body FROM tunnel_spool WHERE message_id = @id");
        Add(select, "@id", id.Value);
        return await select.ExecuteScalarAsync(cancel) as byte[];
    }

    /// <summary>Drops <paramref name="domain"/>'s reference and the body once nobody references it.</summary>
    public async Task ReleaseAsync(MessageId id, string domain, CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel);
        await using var transaction = await connection.BeginTransactionAsync(cancel);
        await using (var release = Command(connection, transaction,
                         "DELETE FROM tunnel_spool_ref WHERE message_id = @id AND domain = @domain"))
        {
            Add(release, "@id", id.Value);
            Add(release, "@domain", domain);
            await release.ExecuteNonQueryAsync(cancel);
        }
        await using (var drop = Command(connection, transaction, """
                         DELETE FROM tunnel_spool WHERE message_id = @id
                           AND NOT EXISTS (SELECT 1 FROM tunnel_spool_ref WHERE message_id = @id)
                         """))
        {
            Add(drop, "@id", id.Value);
            await drop.ExecuteNonQueryAsync(cancel);
        }
        await transaction.CommitAsync(cancel);
    }

    /// <summary>Removes the body and every reference: ingress withdrawing a message it never confirmed.</summary>
    public async Task DeleteAsync(MessageId id, CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel);
        await using var transaction = await connection.BeginTransactionAsync(cancel);
        foreach (var table in new[] { "tunnel_spool_ref", "tunnel_spool" })
        {
            await using var delete = Command(connection, transaction, $"DELETE FROM {table} WHERE message_id = @id");
            Add(delete, "@id", id.Value);
            await delete.ExecuteNonQueryAsync(cancel);
        }
        await transaction.CommitAsync(cancel);
    }

    /// <summary>How many bodies are stored (for tests and the operator's queue view).</summary>
    public async Task<long> CountAsync(CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel);
        await using var count = Command(connection, null, "SELECT COUNT(*) FROM tunnel_spool");
        return Convert.ToInt64(await count.ExecuteScalarAsync(cancel));
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancel)
    {
        var connection = connect();
        await connection.OpenAsync(cancel);
        return connection;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
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

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
