using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Accounts;

/// <summary>Every refusal of sign-up and login, with its stable API code.</summary>
public static class AccountErrors
{
    public static readonly ErrorInfo InvalidMobile = new("invalid_mobile_number", 400,
        "휴대폰 번호가 올바르지 않습니다. 010으로 시작하는 번호를 입력하세요.",
        "That is not a valid Korean mobile number. Enter a number starting with 010.");
    public static readonly ErrorInfo InvalidLoginId = new("invalid_login_id", 400,
        "아이디는 영문 소문자로 시작하는 4~20자의 영문, 숫자, '.', '_', '-' 로 입력하세요.",
        "The ID must be 4–20 characters of letters, digits, '.', '_' or '-', starting with a letter.");
    public static readonly ErrorInfo InvalidName = new("invalid_name", 400,
        "이름을 1~50자로 입력하세요.", "Enter a name of 1–50 characters.");
    public static readonly ErrorInfo IdentifierRequired = new("identifier_required", 400,
        "아이디 또는 휴대폰 번호를 입력하세요.", "Enter your ID or mobile number.");
    public static readonly ErrorInfo LoginIdTaken = new("login_id_taken", 409,
        "이미 사용 중인 아이디입니다.", "That ID is already taken.");
    public static readonly ErrorInfo PhoneTaken = new("phone_taken", 409,
        "이미 가입된 휴대폰 번호입니다. 로그인하세요.", "An account with this mobile number exists already. Log in instead.");
    public static readonly ErrorInfo CodeFormat = new("invalid_code_format", 400,
        "인증번호 6자리 숫자를 입력하세요.", "Enter the 6-digit code.");
    // One answer for every code that does not work (wrong, expired, used, unknown attempt), so a
    // guesser learns nothing; the message still tells a person what to do.
    public static readonly ErrorInfo CodeRejected = new("code_rejected", 400,
        "인증번호가 맞지 않거나 만료되었습니다. 다시 확인하거나 인증번호를 새로 받으세요.",
        "The code is wrong or has expired. Check it, or request a new code.");
    public static readonly ErrorInfo TooManySends = new("too_many_code_requests", 429,
        "인증번호 요청이 너무 많습니다.", "Too many code requests.");
    public static readonly ErrorInfo TooManyFailedCodes = new("too_many_failed_codes", 429,
        "인증번호를 너무 많이 틀렸습니다. 24시간 뒤에 다시 시도하거나 고객센터에 문의하세요.",
        "Too many wrong codes. Try again after 24 hours, or contact support.");
    public static readonly ErrorInfo SmsFailed = new("sms_unavailable", 503,
        "문자를 보내지 못했습니다. 잠시 후 다시 시도하세요.", "The text message could not be sent. Try again shortly.");
    public static readonly ErrorInfo Unauthenticated = new("unauthenticated", 401,
        "로그인이 필요합니다.", "You need to log in.");
}
