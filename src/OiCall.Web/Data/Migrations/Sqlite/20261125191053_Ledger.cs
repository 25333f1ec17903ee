using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OiCall.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Ledger : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CallHolds",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    CallId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    BusinessId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MemberId = table.Column<Guid>(type: "TEXT", nullable: false),
                    GrantedSeconds = table.Column<long>(type: "INTEGER", nullable: false),
                    SettledSeconds = table.Column<long>(type: "INTEGER", nullable: false),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ResolvedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CallHolds", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CouponBatches",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CreatedBy = table.Column<Guid>(type: "TEXT", nullable: false),
                    Count = table.Column<int>(type: "INTEGER", nullable: false),
                    SecondsEach = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Memo = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CouponBatches", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CouponFailures",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false),
                    AccountId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Ip = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CouponFailures", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "LedgerAccounts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Key = table.Column<string>(type: "TEXT", maxLength: 60, nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    BusinessId = table.Column<Guid>(type: "TEXT", nullable: true),
                    MemberId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Balance = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LedgerAccounts", x => x.Id);
                    table.CheckConstraint("CK_LedgerAccounts_NotNegative", "\"Kind\" NOT IN (2, 3, 4) OR \"Balance\" >= 0");
                });

            migrationBuilder.CreateTable(
                name: "Coupons",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    BatchId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CodeHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Hint = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Seconds = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    RedeemedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    RedeemedBusinessId = table.Column<Guid>(type: "TEXT", nullable: true),
                    RedeemedBy = table.Column<Guid>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Coupons", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Coupons_CouponBatches_BatchId",
                        column: x => x.BatchId,
                        principalTable: "CouponBatches",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LedgerEntries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    FromAccountId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ToAccountId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Seconds = table.Column<long>(type: "INTEGER", nullable: false),
                    FromBalanceAfter = table.Column<long>(type: "INTEGER", nullable: false),
                    ToBalanceAfter = table.Column<long>(type: "INTEGER", nullable: false),
                    BusinessId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MemberId = table.Column<Guid>(type: "TEXT", nullable: true),
                    ActorAccountId = table.Column<Guid>(type: "TEXT", nullable: true),
                    IdempotencyKey = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    CouponId = table.Column<Guid>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LedgerEntries", x => x.Id);
                    table.CheckConstraint("CK_LedgerEntries_Positive", "\"Seconds\" > 0");
                    table.ForeignKey(
                        name: "FK_LedgerEntries_LedgerAccounts_FromAccountId",
                        column: x => x.FromAccountId,
                        principalTable: "LedgerAccounts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_LedgerEntries_LedgerAccounts_ToAccountId",
                        column: x => x.ToAccountId,
                        principalTable: "LedgerAccounts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CallHolds_CallId",
                table: "CallHolds",
                column: "CallId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CallHolds_State_ExpiresAt",
                table: "CallHolds",
                columns: new[] { "State", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CouponFailures_AccountId_At",
                table: "CouponFailures",
                columns: new[] { "AccountId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_CouponFailures_Ip_At",
                table: "CouponFailures",
                columns: new[] { "Ip", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_Coupons_BatchId",
                table: "Coupons",
                column: "BatchId");

            migrationBuilder.CreateIndex(
                name: "IX_Coupons_CodeHash",
                table: "Coupons",
                column: "CodeHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LedgerAccounts_BusinessId",
                table: "LedgerAccounts",
                column: "BusinessId");

            migrationBuilder.CreateIndex(
                name: "IX_LedgerAccounts_Key",
                table: "LedgerAccounts",
                column: "Key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LedgerAccounts_MemberId",
                table: "LedgerAccounts",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_LedgerEntries_BusinessId_Kind_Id",
                table: "LedgerEntries",
                columns: new[] { "BusinessId", "Kind", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_LedgerEntries_BusinessId_MemberId_Id",
                table: "LedgerEntries",
                columns: new[] { "BusinessId", "MemberId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_LedgerEntries_FromAccountId",
                table: "LedgerEntries",
                column: "FromAccountId");

            migrationBuilder.CreateIndex(
                name: "IX_LedgerEntries_IdempotencyKey",
                table: "LedgerEntries",
                column: "IdempotencyKey",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LedgerEntries_ToAccountId",
                table: "LedgerEntries",
                column: "ToAccountId");

            // Append only: the database itself refuses to change or remove a ledger entry.
            migrationBuilder.Sql("CREATE TRIGGER \"LedgerEntries_no_update\" BEFORE UPDATE ON \"LedgerEntries\" BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;");
            migrationBuilder.Sql("CREATE TRIGGER \"LedgerEntries_no_delete\" BEFORE DELETE ON \"LedgerEntries\" BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"LedgerEntries_no_update\";");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"LedgerEntries_no_delete\";");
            migrationBuilder.DropTable(
                name: "CallHolds");

            migrationBuilder.DropTable(
                name: "CouponFailures");

            migrationBuilder.DropTable(
                name: "Coupons");

            migrationBuilder.DropTable(
                name: "LedgerEntries");

            migrationBuilder.DropTable(
                name: "CouponBatches");

            migrationBuilder.DropTable(
                name: "LedgerAccounts");
        }
    }
}
