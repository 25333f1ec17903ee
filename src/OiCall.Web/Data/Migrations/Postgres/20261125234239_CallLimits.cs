using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OiCall.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CallLimits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "DailyCallCapSeconds",
                table: "Businesses",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "MaxCallsPerMember",
                table: "Businesses",
                type: "integer",
                nullable: false,
                defaultValue: 2); // existing businesses get the default limit, not zero calls
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DailyCallCapSeconds",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "MaxCallsPerMember",
                table: "Businesses");
        }
    }
}
