using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Ledger;

public static class LedgerErrors
{
    public static readonly ErrorInfo PoolTooSmall = new("insufficient_callable_time", 409,
        "통화가능 시간이 부족합니다. 먼저 충전하세요.", "Not enough callable time. Charge first.");
    public static readonly ErrorInfo WalletTooSmall = new("insufficient_member_time", 409,
        "멤버의 남은 시간(통화 중인 시간 제외)보다 많이 회수할 수 없습니다.", "You cannot reclaim more than the member's free time (time held by a call in progress excluded).");
    public static readonly ErrorInfo CreditTooSmall = new("credit_limit_exceeded", 409,
        "후불 한도를 넘습니다. 멤버에게서 시간을 회수하거나 운영자에게 한도 변경을 요청하세요.", "This goes beyond the postpaid credit limit. Reclaim time from members or ask the operator for a higher limit.");
    public static readonly ErrorInfo CreditBelowDrawn = new("credit_limit_below_drawn", 409,
        "이미 분배된 후불 시간보다 낮은 한도는 설정할 수 없습니다. 먼저 회수하세요.", "The limit cannot be lower than the postpaid time already distributed. Reclaim first.");
    public static readonly ErrorInfo BadWarning = new("invalid_warning_threshold", 400,
        "경고 기준은 0분 이상 100,000분 이하로 입력하세요.", "Enter a warning threshold between 0 and 100,000 minutes.");
    public static readonly ErrorInfo InvalidAmount = new("invalid_amount", 400,
        "분배할 시간을 1분 이상 입력하세요.", "Enter at least one minute.");
    public static readonly ErrorInfo NoMembers = new("no_members_selected", 400,
        "멤버를 선택하세요.", "Choose at least one member.");
}
