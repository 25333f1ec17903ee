using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Businesses;

public static class BusinessErrors
{
    public static readonly ErrorInfo NotFound = new("business_not_found", 404,
        "업체를 찾을 수 없습니다.", "Business not found.");
    public static readonly ErrorInfo AdminOnly = new("admin_only", 403,
        "업체 관리자만 할 수 있습니다.", "Only the business's admins can do this.");
    public static readonly ErrorInfo InvalidName = new("invalid_business_name", 400,
        "업체 이름을 1~60자로 입력하세요.", "Enter a business name of 1–60 characters.");
    public static readonly ErrorInfo InvalidMainNumber = new("invalid_main_number", 400,
        "대표번호가 올바르지 않습니다. 예: 02-2038-0995, 070-1234-5678, 1588-1234, 010-1234-5678",
        "That is not a valid Korean phone number, e.g. 02-2038-0995, 070-1234-5678, 1588-1234, 010-1234-5678.");
    public static readonly ErrorInfo MainNumberTaken = new("main_number_taken", 409,
        "이 번호는 다른 업체의 인증된 대표번호입니다.", "This number is the verified main number of another business.");
    public static readonly ErrorInfo AlreadyVerified = new("main_number_already_verified", 409,
        "대표번호가 이미 인증되었습니다.", "The main number is verified already.");
    public static readonly ErrorInfo NotAwaitingVerification = new("main_number_not_requested", 409,
        "인증요청 중인 대표번호가 아닙니다. 먼저 인증요청을 하세요.", "The main number is not awaiting verification. Request verification first.");
    public static readonly ErrorInfo ReasonRequired = new("reason_required", 400,
        "반려 사유를 입력하세요.", "Enter the reason for the rejection.");
    public static readonly ErrorInfo DeletionNeedsConfirmation = new("deletion_needs_confirmation", 409,
        "삭제하면 멤버와 남은 통화시간을 더 이상 사용할 수 없습니다. 확인 후 다시 요청하세요.",
        "Deleting ends the members' access and any call time left. Confirm to delete.");
    public static readonly ErrorInfo OperatorOnly = new("operator_only", 403,
        "운영자만 할 수 있습니다.", "Only operators can do this.");
}
