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
        return new NodeStorage(new SpoolStore(() => new SqliteConnection(spool)), journal, "SQLite.MS",
            $"sqlite at {settings.SqliteFile} (journal) and {settings.SqliteSpoolFile} (spool)", Writers: 1);
    }
}
