using Microsoft.EntityFrameworkCore;
using OiCall.Web.Data;

namespace OiCall.Tests.Data;

/// <summary>
/// Every change to the model comes with a migration for each provider: a model that has changes no
/// migration covers would start on a schema that lacks them (and MigrateAsync would not say so).
/// </summary>
public sealed class MigrationCoverageTests
{
    [Fact]
    public void The_SQLite_migrations_cover_the_model()
    {
        using var db = new SqliteDesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "The model has changes no SQLite migration covers: add one (README, Database).");
    }

    [Fact]
    public void The_PostgreSQL_migrations_cover_the_model()
    {
        using var db = new PostgresDesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "The model has changes no PostgreSQL migration covers: add one (README, Database).");
    }
}
