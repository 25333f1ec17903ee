using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using OiCall.Web.Data;
using OiCall.Web.Features.Ledger;

namespace OiCall.Bench;

/// <summary>
/// Appends ledger entries straight to their table: PostgreSQL binary COPY, SQLite prepared
/// multi-row INSERTs in one transaction. Columns, names and value conversions come from the EF
/// model, so the rows are exactly what EF itself would write (SQLite GUIDs as text, UTC times,
/// enums as numbers) and a column added to LedgerEntry is written too.
/// </summary>
public static class EntryBulkLoader
{
    private const int SqliteRowsPerStatement = 100;

    private sealed record Column(string Name, IProperty Property, RelationalTypeMapping Mapping)
    {
        public object? ProviderValue(LedgerEntry entry)
        {
            var value = Property.GetGetter().GetClrValueUsingContainingEntity(entry);
            return value is null || Mapping.Converter is null ? value : Mapping.Converter.ConvertToProvider(value);
        }
    }

    public static async Task LoadAsync(AppDbContext db, IEnumerable<LedgerEntry> entries)
    {
        var type = db.Model.FindEntityType(typeof(LedgerEntry))!;
        var table = type.GetTableName()!;
        // Everything but the generated Id, which keeps the insertion (= time) order.
        var columns = type.GetProperties().Where(p => !p.IsPrimaryKey())
            .Select(p => new Column(p.GetColumnName(), p, p.GetRelationalTypeMapping())).ToList();
        await db.Database.OpenConnectionAsync();
        try
        {
            var connection = db.Database.GetDbConnection();
            if (connection is NpgsqlConnection postgres) await CopyAsync(postgres, table, columns, entries);
            else await InsertAsync(connection, table, columns, entries);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task CopyAsync(NpgsqlConnection connection, string table, List<Column> columns, IEnumerable<LedgerEntry> entries)
    {
        var names = string.Join(", ", columns.Select(c => $"\"{c.Name}\""));
        await using var importer = await connection.BeginBinaryImportAsync($"COPY \"{table}\" ({names}) FROM STDIN (FORMAT BINARY)");
        foreach (var entry in entries)
        {
            await importer.StartRowAsync();
            foreach (var column in columns)
            {
                // Npgsql picks the wire type from the value (Guid → uuid, UTC DateTime → timestamptz, long → bigint, …).
                if (column.ProviderValue(entry) is { } value) await importer.WriteAsync(value);
                else await importer.WriteNullAsync();
            }
        }
        await importer.CompleteAsync();
    }

    private static async Task InsertAsync(DbConnection connection, string table, List<Column> columns, IEnumerable<LedgerEntry> entries)
    {
        // Five indexes with random keys thrash SQLite's default 2 MB page cache; a big cache for the load
        // only (the connection goes back to the pool, so the default is restored below).
        var defaultCacheSize = await ScalarAsync(connection, "PRAGMA cache_size");
        await ScalarAsync(connection, "PRAGMA cache_size = -524288");
        await using var transaction = await connection.BeginTransactionAsync();
        DbCommand? fullBatch = null;
        var batch = new List<LedgerEntry>(SqliteRowsPerStatement);
        foreach (var entry in entries)
        {
            batch.Add(entry);
            if (batch.Count < SqliteRowsPerStatement) continue;
            fullBatch ??= Prepare(connection, transaction, table, columns, SqliteRowsPerStatement);
            await ExecuteAsync(fullBatch, columns, batch);
            batch.Clear();
        }
        if (batch.Count > 0)
        {
            await using var rest = Prepare(connection, transaction, table, columns, batch.Count);
            await ExecuteAsync(rest, columns, batch);
        }
        if (fullBatch is not null) await fullBatch.DisposeAsync();
        await transaction.CommitAsync();
        await ScalarAsync(connection, $"PRAGMA cache_size = {defaultCacheSize}");
    }

    private static async Task<object?> ScalarAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    private static DbCommand Prepare(DbConnection connection, DbTransaction transaction, string table, List<Column> columns, int rows)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        var values = new List<string>(rows);
        for (var r = 0; r < rows; r++)
        {
            var names = new List<string>(columns.Count);
            for (var c = 0; c < columns.Count; c++)
            {
                var name = $"@p{r}_{c}";
                names.Add(name);
                // The mapping configures the parameter as EF does (for example a GUID bound as text).
                command.Parameters.Add(columns[c].Mapping.CreateParameter(command, name, null, nullable: true));
            }
            values.Add("(" + string.Join(", ", names) + ")");
        }
        command.CommandText = $"INSERT INTO \"{table}\" ({string.Join(", ", columns.Select(c => $"\"{c.Name}\""))}) VALUES {string.Join(", ", values)}";
        command.Prepare();
        return command;
    }

    private static Task<int> ExecuteAsync(DbCommand command, List<Column> columns, List<LedgerEntry> batch)
    {
        var i = 0;
        foreach (var entry in batch)
            foreach (var column in columns)
                command.Parameters[i++].Value = column.ProviderValue(entry) ?? DBNull.Value;
        return command.ExecuteNonQueryAsync();
    }
}
