using Microsoft.Data.Sqlite;
using Tunnel.Node;
using Tunnel.Node.Configuration;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>Both SQLite files are in WAL mode from the first start: one fsync per commit, and readers beside the writer.</summary>
public sealed class NodeStorageTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tunnel-storage-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task The_journal_and_the_spool_use_the_write_ahead_log()
    {
        var settings = new StorageSettings(StorageSettings.Sqlite, _directory, "");
        var storage = NodeStorage.For(settings);
        await storage.Spool.InitialiseAsync(CancellationToken.None);

        Assert.Equal("wal", JournalMode(settings.SqliteFile));
        Assert.Equal("wal", JournalMode(settings.SqliteSpoolFile));
    }

    private static string JournalMode(string file)
    {
        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        return (string)command.ExecuteScalar()!;
    }
}
