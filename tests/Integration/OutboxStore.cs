using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using Tunnel.Cluster.Spool;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>One private PostgreSQL server for the outbox tests, and a fresh database (or SQLite file) per test.</summary>
public sealed class SpoolDatabases : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tunnel-outbox-").FullName;
    private PostgresServer _postgres = null!;
    private int _databases;

    public async Task InitializeAsync() => _postgres = await PostgresServer.StartAsync();

    /// <summary>A connection factory to an empty database of the provider; each call a new one.</summary>
    public async Task<Func<DbConnection>> NewAsync(string provider)
    {
        var n = Interlocked.Increment(ref _databases);
        if (provider == "sqlite")
        {
            var file = Path.Combine(_directory, $"spool{n}.db");
            return () => new SqliteConnection($"Data Source={file};Pooling=True;Default Timeout=30");
        }
        var source = NpgsqlDataSource.Create(await _postgres.CreateDatabaseAsync($"outbox{n}"));
        return () => source.CreateConnection();
    }

    public async Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        await _postgres.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* temp directory */ }
    }
}

/// <summary>
/// The outbox (issue 12) against real SQLite and PostgreSQL: one commit holds the body and a
/// reference per domain with its envelope; a store that cannot commit in time is taken back
/// whole, so 451 means nothing kept; a DSN is stored once per (message, domain, kind); the last
/// of two concurrent releases deletes the body; the sweep removes orphans; tables written
/// before the outbox gain its columns and keep working.
/// </summary>
public sealed class OutboxStore(SpoolDatabases databases) : IClassFixture<SpoolDatabases>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task A_message_is_stored_with_one_reference_per_domain_and_adopted_from_there(string provider)
    {
        var spool = await SpoolAsync(provider);
        var id = MessageId.New(Now);

        Assert.True(await spool.StoreAsync(id, Body("hello"), [Mail(id, "a.example", "u1", "u2"), Mail(id, "b.example", "u3")], Now, Long, Long));

        var found = await spool.UnadoptedAsync("a.example", before: null, 10, CancellationToken.None);
        var mail = Assert.Single(found);
        Assert.Equal(Mail(id, "a.example", "u1", "u2").Recipients, mail.Recipients);
        Assert.Equal(new Mailbox("sender", "sender.example"), mail.Envelope.Sender);
        Assert.Equal(2, (await spool.UnadoptedAsync(null, before: Now.AddSeconds(1), 10, CancellationToken.None)).Count);
        var read = await spool.ReadForDeliveryAsync(id, "b.example", CancellationToken.None);
        Assert.True(read.Owed);
        Assert.Equal("hello", Encoding.ASCII.GetString(read.Body!));
        Assert.False((await spool.ReadForDeliveryAsync(id, "c.example", CancellationToken.None)).Owed);

        await spool.MarkAdoptedAsync("a.example", [id]);
        Assert.Empty(await spool.UnadoptedAsync("a.example", null, 10, CancellationToken.None));
        Assert.Single(await spool.UnadoptedAsync("b.example", null, 10, CancellationToken.None));
    }

    [Theory]
    [InlineData("sqlite", 1_000)]
    [InlineData("sqlite", 3_000_000)]
    [InlineData("postgresql", 1_000)]
    [InlineData("postgresql", 3_000_000)]
    public async Task Header_and_content_are_stored_as_one_body_small_or_large(string provider, int contentSize)
    {
        // Above 64 KiB the two pieces go in without being copied into one array first.
        var spool = await SpoolAsync(provider);
        var id = MessageId.New(Now);
        var header = Body("Received: from client by tunnel.test\r\n");
        var content = new byte[contentSize + 10];
        Random.Shared.NextBytes(content);

        Assert.True(await spool.StoreAsync(id, new MessageBody(header, content.AsMemory(5, contentSize)), [Mail(id, "a.example", "u")],
            Now, Long, Long));

        var stored = (await spool.ReadForDeliveryAsync(id, "a.example", CancellationToken.None)).Body!;
        Assert.Equal(header.Concat(content.Skip(5).Take(contentSize)).ToArray(), stored);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task A_store_that_cannot_commit_in_time_is_taken_back_entirely(string provider)
    {
        var connect = await databases.NewAsync(provider);
        var spool = new SpoolStore(connect);
        await spool.InitialiseAsync(CancellationToken.None);
        var stuck = MessageId.New(Now);

        // Another writer holds the lock the insert needs: the commit cannot even begin.
        await using (var blocker = connect())
        {
            await blocker.OpenAsync();
            await Execute(blocker, provider == "sqlite" ? "BEGIN IMMEDIATE;" : "BEGIN; LOCK TABLE tunnel_spool IN EXCLUSIVE MODE;");
            await Assert.ThrowsAsync<SpoolTimeoutException>(() =>
                spool.StoreAsync(stuck, Body("stuck"), [Mail(stuck, "a.example", "u1")], Now, TimeSpan.FromMilliseconds(500), Long));
            await Execute(blocker, "ROLLBACK;");
        }

        // The writer goes on in order: once the next store is committed, the abandoned one is settled.
        var next = MessageId.New(Now);
        Assert.True(await spool.StoreAsync(next, Body("next"), [Mail(next, "a.example", "u1")], Now, Long, Long));
        Assert.Equal(1, await spool.CountAsync(CancellationToken.None));
        Assert.Equal(1, await spool.CountReferencesAsync(CancellationToken.None));
        Assert.False((await spool.ReadForDeliveryAsync(stuck, "a.example", CancellationToken.None)).Owed);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task A_dsn_is_stored_once_per_message_domain_and_kind(string provider)
    {
        var spool = await SpoolAsync(provider);
        var original = MessageId.New(Now);
        await spool.StoreAsync(original, Body("original"), [Mail(original, "a.example", "u1"), Mail(original, "b.example", "u2")], Now, Long, Long);

        Task<bool> Dsn(string domain, string kind)
        {
            var id = original.Derived($"{domain}/{kind}");
            return spool.StoreAsync(id, Body($"dsn {domain} {kind}"), [Mail(id, "sender.example", "sender")], Now, Long, Long,
                new NoticeGuard(original, domain, kind));
        }

        Assert.True(await Dsn("a.example", "failed"));
        Assert.False(await Dsn("a.example", "failed")); // sent again after a crash: nothing new
        Assert.True(await Dsn("b.example", "failed")); // the other domain's own notice (issue 12, defect 4)
        Assert.True(await Dsn("a.example", "delayed"));
        await spool.ReleaseAsync(original, "b.example");
        Assert.False(await Dsn("b.example", "relayed")); // its reference is gone: it owes nothing

        Assert.Equal(4, await spool.CountAsync(CancellationToken.None)); // the original and three DSNs
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task The_last_of_two_concurrent_releases_deletes_the_body(string provider)
    {
        // Two nodes (two spool writers on one database) release the two references of each
        // message at the same moment. Under READ COMMITTED each used to see the other's
        // reference and keep the body (issue 12, defect 5).
        var connect = await databases.NewAsync(provider);
        var first = new SpoolStore(connect);
        await first.InitialiseAsync(CancellationToken.None);
        var second = new SpoolStore(connect);
        var ids = Enumerable.Range(0, 200).Select(_ => MessageId.New(Now)).ToList();
        await Task.WhenAll(ids.Select(id => first.StoreAsync(id, Body("x"), [Mail(id, "a.example", "u"), Mail(id, "b.example", "u")], Now, Long, Long)));
        Assert.Equal(200, await first.CountAsync(CancellationToken.None));

        await Task.WhenAll(ids.SelectMany(id => new[] { first.ReleaseAsync(id, "a.example"), second.ReleaseAsync(id, "b.example") }));

        Assert.Equal(0, await first.CountReferencesAsync(CancellationToken.None));
        Assert.Equal(0, await first.CountAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task The_sweep_removes_orphans_older_than_its_bound(string provider)
    {
        var connect = await databases.NewAsync(provider);
        var spool = new SpoolStore(connect);
        await spool.InitialiseAsync(CancellationToken.None);
        var old = Now.AddHours(-2).ToUnixTimeMilliseconds();
        await using (var connection = connect())
        {
            await connection.OpenAsync();
            var blob = provider == "sqlite" ? "X'00'" : "'\\x00'::bytea";
            await Execute(connection, $"""
                INSERT INTO tunnel_spool (message_id, body, created_at) VALUES ('OLDBODY', {blob}, {old});
                INSERT INTO tunnel_spool (message_id, body, created_at) VALUES ('NEWBODY', {blob}, {Now.ToUnixTimeMilliseconds()});
                INSERT INTO tunnel_spool_ref (message_id, domain, adopted, created_at) VALUES ('OLDREF', 'a.example', 1, {old});
                """);
        }
        var kept = MessageId.New(Now);
        await spool.StoreAsync(kept, Body("kept"), [Mail(kept, "a.example", "u")], Now.AddHours(-3), Long, Long);

        var removed = await spool.SweepOrphansAsync(Now.AddHours(-1));

        Assert.Equal(["OLDBODY:", "OLDREF:a.example"], removed.Select(r => $"{r.Id}:{r.Domain}").Order());
        Assert.Equal(2, await spool.CountAsync(CancellationToken.None)); // the fresh orphan and the referenced body
        Assert.Equal(1, await spool.CountReferencesAsync(CancellationToken.None));
        Assert.Empty(await spool.SweepOrphansAsync(Now.AddHours(-1)));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Tables_from_before_the_outbox_gain_its_columns_and_keep_their_rows(string provider)
    {
        var connect = await databases.NewAsync(provider);
        await using (var connection = connect())
        {
            await connection.OpenAsync();
            var bytes = provider == "sqlite" ? "BLOB" : "BYTEA";
            var blob = provider == "sqlite" ? "X'6869'" : "'\\x6869'::bytea";
            await Execute(connection, $"""
                CREATE TABLE tunnel_spool (message_id VARCHAR(32) NOT NULL PRIMARY KEY, body {bytes} NOT NULL, created_at BIGINT NOT NULL);
                CREATE TABLE tunnel_spool_ref (message_id VARCHAR(32) NOT NULL, domain VARCHAR(255) NOT NULL, PRIMARY KEY (message_id, domain));
                INSERT INTO tunnel_spool VALUES ('OLDMESSAGE', {blob}, 1);
                INSERT INTO tunnel_spool_ref VALUES ('OLDMESSAGE', 'a.example');
                """);
        }
        var spool = new SpoolStore(connect);

        await spool.InitialiseAsync(CancellationToken.None);
        await spool.InitialiseAsync(CancellationToken.None); // a second start changes nothing

        var old = new MessageId("OLDMESSAGE");
        var read = await spool.ReadForDeliveryAsync(old, "a.example", CancellationToken.None);
        Assert.True(read.Owed);
        Assert.Equal("hi", Encoding.ASCII.GetString(read.Body!));
        Assert.Empty(await spool.UnadoptedAsync(null, null, 10, CancellationToken.None)); // its queue adopted it long ago
        Assert.Empty(await spool.SweepOrphansAsync(Now));
        await spool.ReleaseAsync(old, "a.example");
        Assert.Equal(0, await spool.CountAsync(CancellationToken.None));
    }

    private async Task<SpoolStore> SpoolAsync(string provider)
    {
        var spool = new SpoolStore(await databases.NewAsync(provider));
        await spool.InitialiseAsync(CancellationToken.None);
        return spool;
    }

    /// <summary>
    /// Issue 15: a reference names the sub-queue that owns it. A sub-queue's scan finds only its
    /// own rows, and the sweep tells each row to the sub-queue it names, whatever the split is now,
    /// so a row stored under an older split is never orphaned.
    /// </summary>
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task A_reference_keeps_the_sub_queue_it_was_stored_for(string provider)
    {
        var spool = await SpoolAsync(provider);
        var (one, two) = (MessageId.New(Now), MessageId.New(Now.AddMilliseconds(1)));
        Assert.True(await spool.StoreAsync(one, Body("one"), [Mail(one, "hot.example", "u1") with { Part = 3 }, Mail(one, "b.example", "u2")], Now, Long, Long));
        Assert.True(await spool.StoreAsync(two, Body("two"), [Mail(two, "hot.example", "u3")], Now, Long, Long));

        var three = Assert.Single(await spool.UnadoptedAsync("hot.example", null, 10, CancellationToken.None, part: 3));
        Assert.Equal((one, 3, "hot.example#3"), (three.Id, three.Part, three.Queue));
        Assert.Equal(two, Assert.Single(await spool.UnadoptedAsync("hot.example", null, 10, CancellationToken.None)).Id);
        Assert.Empty(await spool.UnadoptedAsync("hot.example", null, 10, CancellationToken.None, part: 1));
        var swept = await spool.UnadoptedAsync(null, Now.AddSeconds(1), 10, CancellationToken.None);
        Assert.Equal(["b.example", "hot.example", "hot.example#3"], swept.Select(m => m.Queue).Order(StringComparer.Ordinal));
        // The owning sub-queue reads and releases the row by message and domain, like any queue.
        Assert.True((await spool.ReadForDeliveryAsync(one, "hot.example", CancellationToken.None)).Owed);
        await spool.ReleaseAsync(one, "hot.example");
        Assert.Empty(await spool.UnadoptedAsync("hot.example", null, 10, CancellationToken.None, part: 3));
    }

    private static NewMail Mail(MessageId id, string domain, params string[] locals) =>
        new(domain, id, new Envelope(new Mailbox("sender", "sender.example")), locals.Select(l => new Recipient(new Mailbox(l, domain))).ToList(),
            5, Now);

    private static byte[] Body(string text) => Encoding.ASCII.GetBytes(text);

    private static async Task Execute(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
