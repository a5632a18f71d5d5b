using Microsoft.Data.Sqlite;
using Npgsql;
using Tunnel.Cluster.Spool;
using Tunnel.Node.Configuration;

namespace Tunnel.Node;

/// <summary>
/// The node's database, one for everything (DESIGN): the spool through ADO.NET, and the
/// connection string and linq2db provider Akka.Persistence.Sql needs for the journal and
/// snapshots. SQLite for a single node; PostgreSQL shared by every node of a cluster.
/// </summary>
/// <param name="Writers">Concurrent journal writers: one for SQLite (a single write lock; more only collide), the plugin's default otherwise.</param>
public sealed record NodeStorage(SpoolStore Spool, string ConnectionString, string ProviderName, string Description, int Writers)
{
    public static NodeStorage For(StorageSettings settings)
    {
        if (settings.Provider == StorageSettings.Postgres)
        {
            var source = NpgsqlDataSource.Create(settings.PostgresConnectionString);
            var builder = new NpgsqlConnectionStringBuilder(settings.PostgresConnectionString);
            return new NodeStorage(new SpoolStore(() => source.CreateConnection()), settings.PostgresConnectionString,
                "PostgreSQL.15", $"postgresql at {builder.Host}:{builder.Port}/{builder.Database}", Writers: 3);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(settings.SqliteFile)!);
        // Default Timeout: how long a writer waits for SQLite's single write lock (seconds).
        var journal = $"Data Source={settings.SqliteFile};Pooling=True;Default Timeout=30";
        var spool = $"Data Source={settings.SqliteSpoolFile};Pooling=True;Default Timeout=30";
        UseWriteAheadLog(journal);
        return new NodeStorage(new SpoolStore(() => new SqliteConnection(spool)), journal, "SQLite.MS",
            $"sqlite at {settings.SqliteFile} (journal) and {settings.SqliteSpoolFile} (spool)", Writers: 1);
    }

    /// <summary>
    /// Puts the journal's file in WAL mode (persistent in the file), as the spool's: a commit is
    /// one append and one fsync of the log (synchronous=FULL, SQLite's default, keeps it durable)
    /// instead of a rollback journal created, synced and deleted beside two syncs of the
    /// database, and reads (recovery, queries) no longer block the writer.
    /// </summary>
    private static void UseWriteAheadLog(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        var mode = command.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"SQLite refused WAL mode for the journal (journal_mode is {mode})");
    }
}
