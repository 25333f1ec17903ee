using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OiCall.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CallerNumbers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "CallerNumberId",
                table: "Members",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "DefaultCallerNumberId",
                table: "Businesses",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "CallerNumbers",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    BusinessId = table.Column<Guid>(type: "uuid", nullable: false),
                    Number = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Name = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    State = table.Column<int>(type: "integer", nullable: false),
                    RejectReason = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CreatedBy = table.Column<Guid>(type: "uuid", nullable: false),
                    SubmittedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    DecidedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    DecidedBy = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CallerNumbers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CallerNumberDocuments",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    CallerNumberId = table.Column<Guid>(type: "uuid", nullable: false),
                    BusinessId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    OriginalName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    StoredName = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    ContentType = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Size = table.Column<long>(type: "bigint", nullable: false),
                    Sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    UploadedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UploadedBy = table.Column<Guid>(type: "uuid", nullable: false),
                    PurgedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CallerNumberDocuments", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CallerNumberDocuments_CallerNumbers_CallerNumberId",
                        column: x => x.CallerNumberId,
                        principalTable: "CallerNumbers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CallerNumberDocuments_CallerNumberId",
                table: "CallerNumberDocuments",
                column: "CallerNumberId");

            migrationBuilder.CreateIndex(
                name: "IX_CallerNumbers_BusinessId_State",
                table: "CallerNumbers",
                columns: new[] { "BusinessId", "State" });

            migrationBuilder.CreateIndex(
                name: "IX_CallerNumbers_Number",
                table: "CallerNumbers",
                column: "Number");

            migrationBuilder.CreateIndex(
                name: "IX_CallerNumbers_State_SubmittedAt",
                table: "CallerNumbers",
                columns: new[] { "State", "SubmittedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CallerNumberDocuments");

            migrationBuilder.DropTable(
                name: "CallerNumbers");

            migrationBuilder.DropColumn(
                name: "CallerNumberId",
                table: "Members");

            migrationBuilder.DropColumn(
                name: "DefaultCallerNumberId",
                table: "Businesses");
        }
    }
}
