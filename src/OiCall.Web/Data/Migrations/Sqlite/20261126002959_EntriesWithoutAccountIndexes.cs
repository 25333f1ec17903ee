using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OiCall.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class EntriesWithoutAccountIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_LedgerEntries_FromAccountId",
                table: "LedgerEntries");

            migrationBuilder.DropIndex(
                name: "IX_LedgerEntries_ToAccountId",
                table: "LedgerEntries");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_LedgerEntries_FromAccountId",
                table: "LedgerEntries",
                column: "FromAccountId");

            migrationBuilder.CreateIndex(
                name: "IX_LedgerEntries_ToAccountId",
                table: "LedgerEntries",
                column: "ToAccountId");
        }
    }
}
