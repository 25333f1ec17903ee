using Npgsql;
using OiCall.Tests.Support;
using OiCall.Web.Data;

namespace OiCall.Tests.Data;

/// <summary>
/// The service's PostgreSQL connections prepare the statements they send again and again (EF's are
/// sent unprepared, and PostgreSQL parsing and planning the call setup's query every time cost more
/// than running it) — unless the operator's connection string decides about it.
/// </summary>
public sealed class PostgresDataSourceTests
{
    [Fact]
    public async Task A_statement_sent_again_on_a_connection_is_prepared_there()
    {
        Assert.Equal(1, await PreparedAfterThreeRunsAsync(Server()));
    }

    [Theory]
    [InlineData("Max Auto Prepare=0")]
    [InlineData("maxautoprepare=0")]
    public async Task The_connection_string_can_turn_it_off(string setting)
    {
        Assert.Equal(0, await PreparedAfterThreeRunsAsync(Server() + ";" + setting));
    }

    private static async Task<long> PreparedAfterThreeRunsAsync(string connectionString)
    {
        await using var dataSource = DatabaseSetup.PostgresDataSource(connectionString);
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        for (var i = 0; i < 3; i++)
        {
            await using var command = new NpgsqlCommand("SELECT $1 + 1", connection) { Parameters = { new() { Value = i } } };
            await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
        }
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT $1 + 1'", connection);
        return (long)(await count.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    private static string Server()
    {
        if (string.IsNullOrEmpty(TestApp.PostgresServer))
        {
            if (Environment.GetEnvironmentVariable("OICALL_REQUIRE_POSTGRES") == "1") Assert.Fail("OICALL_REQUIRE_POSTGRES=1 but OICALL_TEST_POSTGRES is not set.");
            Assert.Skip("No PostgreSQL server (set OICALL_TEST_POSTGRES, as .ci/run does).");
        }
        return TestApp.PostgresServer;
    }
}
