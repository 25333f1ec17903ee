using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OiCall.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class HistoryIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_LedgerEntries_BusinessId_MemberId_Id",
                table: "LedgerEntries");

            migrationBuilder.CreateIndex(
                name: "IX_LedgerEntries_Distributions",
                table: "LedgerEntries",
                columns: new[] { "BusinessId", "Id" },
                filter: "\"Kind\" IN (2, 3)");

            migrationBuilder.CreateIndex(
                name: "IX_LedgerEntries_MemberDistributions",
                table: "LedgerEntries",
                columns: new[] { "MemberId", "Id" },
                filter: "\"Kind\" IN (2, 3)");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_LedgerEntries_Distributions",
                table: "LedgerEntries");

            migrationBuilder.DropIndex(
                name: "IX_LedgerEntries_MemberDistributions",
                table: "LedgerEntries");

            migrationBuilder.CreateIndex(
                name: "IX_LedgerEntries_BusinessId_MemberId_Id",
                table: "LedgerEntries",
                columns: new[] { "BusinessId", "MemberId", "Id" });
        }
    }
}
