using Npgsql;

namespace Tunnel.Bench;

/// <summary>
/// What PostgreSQL says it did for the nodes' database: transactions committed, rows inserted,
/// updated and deleted (pg_stat_database), WAL written (pg_current_wal_lsn), the size of the
/// tables and indexes (pg_total_relation_size of every table in public), and the server's CPU
/// (the postmaster and its backends, from /proc). Backends report their counters when idle for a
/// while (PostgreSQL 15: at most every 10 s), so a sample is taken only after the nodes have been
/// idle that long (<see cref="SettleAsync"/>).
/// </summary>
public sealed record PostgresSample(long Commits, long Inserted, long Updated, long Deleted, long WalBytes, long TableBytes, TimeSpan Cpu)
{
    /// <summary>Long enough for every backend's counters to reach pg_stat_database.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(11);

    public static async Task<PostgresSample> OfAsync(string connection, int? postmaster)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT xact_commit, tup_inserted, tup_updated, tup_deleted,
                   pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint,
                   (SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind = 'r')
            FROM pg_stat_database WHERE datname = current_database()
            """, db);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new PostgresSample(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5),
            postmaster is { } pid ? ProcessSample.TreeCpu(pid) : TimeSpan.Zero);
    }

    /// <summary>Waits for the backends to report (see the type's summary); a bench may wait, a test may not.</summary>
    public static Task SettleAsync(CancellationToken cancel) => Task.Delay(Settle, cancel);

    /// <summary>Per message between two samples (this one the later).</summary>
    public PostgresCost PerMessage(PostgresSample before, int messages) => new(
        Round((double)(Commits - before.Commits) / messages),
        Round((double)(Inserted - before.Inserted) / messages),
        Round((double)(Updated - before.Updated) / messages),
        Round((double)(Deleted - before.Deleted) / messages),
        Round((double)(WalBytes - before.WalBytes) / messages),
        Round((double)(TableBytes - before.TableBytes) / messages),
        Round((Cpu - before.Cpu).TotalMilliseconds / messages));

    private static double Round(double value) => Math.Round(value, 2);
}

/// <summary>PostgreSQL's work per message delivered: commits, rows, WAL and table growth in bytes, server CPU in ms.</summary>
public sealed record PostgresCost(double Commits, double Inserted, double Updated, double Deleted, double WalBytes, double TableBytes, double CpuMs);

/// <summary>A load run on PostgreSQL, with the database's work per message.</summary>
public sealed record LoadOnPostgres(LoadResult Load, PostgresCost Postgres);
