using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OiCall.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Postpaid : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_LedgerAccounts_NotNegative",
                table: "LedgerAccounts");

            migrationBuilder.AddColumn<long>(
                name: "CreditLimit",
                table: "LedgerAccounts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "LowBalanceWarningSeconds",
                table: "Businesses",
                type: "INTEGER",
                nullable: false,
                defaultValue: 3600L);

            migrationBuilder.AddColumn<long>(
                name: "MemberLowBalanceWarningSeconds",
                table: "Businesses",
                type: "INTEGER",
                nullable: false,
                defaultValue: 600L);

            migrationBuilder.AddColumn<long>(
                name: "MonthlyCreditSeconds",
                table: "Businesses",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "Plan",
                table: "Businesses",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "IdempotentRequests",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Key = table.Column<string>(type: "TEXT", maxLength: 250, nullable: false),
                    RequestHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CompletedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    StatusCode = table.Column<int>(type: "INTEGER", nullable: false),
                    ContentType = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    Location = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    ProtectedBody = table.Column<byte[]>(type: "BLOB", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IdempotentRequests", x => x.Id);
                });

            migrationBuilder.AddCheckConstraint(
                name: "CK_LedgerAccounts_CreditLimit",
                table: "LedgerAccounts",
                sql: "\"CreditLimit\" >= 0 AND (\"Kind\" = 6 OR \"CreditLimit\" = 0)");

            migrationBuilder.AddCheckConstraint(
                name: "CK_LedgerAccounts_NotNegative",
                table: "LedgerAccounts",
                sql: "\"Kind\" NOT IN (2, 3, 4, 6) OR \"Balance\" >= -\"CreditLimit\"");

            migrationBuilder.AddCheckConstraint(
                name: "CK_Businesses_Credit",
                table: "Businesses",
                sql: "\"MonthlyCreditSeconds\" >= 0");

            migrationBuilder.CreateIndex(
                name: "IX_IdempotentRequests_Key",
                table: "IdempotentRequests",
                column: "Key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_IdempotentRequests_StartedAt",
                table: "IdempotentRequests",
                column: "StartedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "IdempotentRequests");

            migrationBuilder.DropCheckConstraint(
                name: "CK_LedgerAccounts_CreditLimit",
                table: "LedgerAccounts");

            migrationBuilder.DropCheckConstraint(
                name: "CK_LedgerAccounts_NotNegative",
                table: "LedgerAccounts");

            migrationBuilder.DropCheckConstraint(
                name: "CK_Businesses_Credit",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "CreditLimit",
                table: "LedgerAccounts");

            migrationBuilder.DropColumn(
                name: "LowBalanceWarningSeconds",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "MemberLowBalanceWarningSeconds",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "MonthlyCreditSeconds",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "Plan",
                table: "Businesses");

            migrationBuilder.AddCheckConstraint(
                name: "CK_LedgerAccounts_NotNegative",
                table: "LedgerAccounts",
                sql: "\"Kind\" NOT IN (2, 3, 4) OR \"Balance\" >= 0");
        }
    }
}
