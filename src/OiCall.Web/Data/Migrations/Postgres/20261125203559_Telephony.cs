using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OiCall.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Telephony : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "AllowInternational",
                table: "Businesses",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "AllowPremium",
                table: "Businesses",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "CallsSuspended",
                table: "Businesses",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "KeepDialledDigits",
                table: "Businesses",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "CallRecords",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    CallId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    BusinessId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    Direction = table.Column<int>(type: "integer", nullable: false),
                    CallerNumber = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    DialledMasked = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    AuthorizedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    GrantedSeconds = table.Column<long>(type: "bigint", nullable: false),
                    AnsweredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    EndedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    BilledSeconds = table.Column<long>(type: "bigint", nullable: false),
                    Outcome = table.Column<int>(type: "integer", nullable: false),
                    EndedBy = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CallRecords", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SipCredentials",
                columns: table => new
                {
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    BusinessId = table.Column<Guid>(type: "uuid", nullable: false),
                    Username = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Ha1 = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Realm = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    IssuedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SipCredentials", x => x.MemberId);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CallRecords_BusinessId_AuthorizedAt",
                table: "CallRecords",
                columns: new[] { "BusinessId", "AuthorizedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CallRecords_CallId",
                table: "CallRecords",
                column: "CallId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CallRecords_MemberId_AuthorizedAt",
                table: "CallRecords",
                columns: new[] { "MemberId", "AuthorizedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_SipCredentials_Username",
                table: "SipCredentials",
                column: "Username",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CallRecords");

            migrationBuilder.DropTable(
                name: "SipCredentials");

            migrationBuilder.DropColumn(
                name: "AllowInternational",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "AllowPremium",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "CallsSuspended",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "KeepDialledDigits",
                table: "Businesses");
        }
    }
}
