using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OiCall.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Retention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "RetentionRecords",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    KeyId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Sealed = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RetentionRecords", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_RetentionRecords_ExpiresAt",
                table: "RetentionRecords",
                column: "ExpiresAt");

            Features.Retention.RetentionRecordTriggers.Create(migrationBuilder, postgres: false);
            Features.Audit.AuditAppendOnly.Create(migrationBuilder, postgres: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            Features.Audit.AuditAppendOnly.Drop(migrationBuilder, postgres: false);
            Features.Retention.RetentionRecordTriggers.Drop(migrationBuilder, postgres: false);
            migrationBuilder.DropTable(
                name: "RetentionRecords");
        }
    }
}
