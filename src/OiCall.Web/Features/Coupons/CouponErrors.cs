using OiCall.Web.Infrastructure;

namespace OiCall.Web.Features.Coupons;

public static class CouponErrors
{
    public static readonly ErrorInfo Malformed = new("coupon_malformed", 400,
        "쿠폰번호는 영문·숫자 17자리입니다 (예: 7K3M-Q9XD-2HNR-4TVB-Z).", "A coupon number has 17 letters and digits (e.g. 7K3M-Q9XD-2HNR-4TVB-Z).");
    public static readonly ErrorInfo Mistyped = new("coupon_mistyped", 400,
        "쿠폰번호에 오타가 있습니다. 다시 확인해 주세요.", "The coupon number has a typo. Please check it.");
    public static readonly ErrorInfo Unknown = new("coupon_unknown", 404,
        "없는 쿠폰번호입니다.", "There is no such coupon.");
    public static readonly ErrorInfo Used = new("coupon_used", 409,
        "이미 사용된 쿠폰입니다.", "This coupon has been used already.");
    public static readonly ErrorInfo Expired = new("coupon_expired", 410,
        "유효기간이 지난 쿠폰입니다.", "This coupon has expired.");
    public static readonly ErrorInfo Void = new("coupon_void", 410,
        "사용할 수 없게 된 쿠폰입니다. 구입처에 문의하세요.", "This coupon has been withdrawn. Contact the seller.");
    public static readonly ErrorInfo TooManyFailures = new("too_many_coupon_failures", 429,
        "쿠폰번호를 너무 여러 번 잘못 입력했습니다.", "Too many wrong coupon numbers.");
    public static readonly ErrorInfo InvalidBatch = new("invalid_coupon_batch", 400,
        "발행 수량(1~10,000), 쿠폰당 분(1~100,000), 미래의 유효기간을 입력하세요.", "Enter a count (1–10,000), minutes each (1–100,000) and an expiry in the future.");
}
