using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace OiCall.Web.Data.Migrations.Postgres
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    KeyId = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Sealed = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RetentionRecords", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_RetentionRecords_ExpiresAt",
                table: "RetentionRecords",
                column: "ExpiresAt");

            Features.Retention.RetentionRecordTriggers.Create(migrationBuilder, postgres: true);
            Features.Audit.AuditAppendOnly.Create(migrationBuilder, postgres: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            Features.Audit.AuditAppendOnly.Drop(migrationBuilder, postgres: true);
            Features.Retention.RetentionRecordTriggers.Drop(migrationBuilder, postgres: true);
            migrationBuilder.DropTable(
                name: "RetentionRecords");
        }
    }
}
