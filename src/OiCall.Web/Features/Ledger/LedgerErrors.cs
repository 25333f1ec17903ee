using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Ledger;

public static class LedgerErrors
{
    public static readonly ErrorInfo PoolTooSmall = new("insufficient_callable_time", 409,
        "통화가능 시간이 부족합니다. 먼저 충전하세요.", "Not enough callable time. Charge first.");
    public static readonly ErrorInfo WalletTooSmall = new("insufficient_member_time", 409,
        "멤버의 남은 시간(통화 중인 시간 제외)보다 많이 회수할 수 없습니다.", "You cannot reclaim more than the member's free time (time held by a call in progress excluded).");
    public static readonly ErrorInfo InvalidAmount = new("invalid_amount", 400,
        "분배할 시간을 1분 이상 입력하세요.", "Enter at least one minute.");
    public static readonly ErrorInfo NoMembers = new("no_members_selected", 400,
        "멤버를 선택하세요.", "Choose at least one member.");
}
