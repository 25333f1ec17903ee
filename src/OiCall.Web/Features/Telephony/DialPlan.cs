using PhoneNumbers;

namespace OiCall.Web.Features.Telephony;

/// <summary>What kind of number a member dialled; each kind has one policy in <see cref="DialPlan.Rules"/>.</summary>
public enum DialCategory
{
    /// <summary>010, and the older 011/016–019 ranges that still ring mobiles.</summary>
    Mobile,
    /// <summary>Area codes 02, 031–033, 041–044, 051–055, 061–064.</summary>
    Geographic,
    /// <summary>070: internet telephony.</summary>
    InternetPhone,
    /// <summary>0502–0508: personal numbers that forward to a person (안심번호, 평생번호).</summary>
    PersonalNumber,
    /// <summary>080: toll-free, paid by the one called.</summary>
    TollFree,
    /// <summary>15xx, 16xx, 18xx: a business's nationwide number (전국대표번호), eight digits.</summary>
    Nationwide,
    /// <summary>060: premium rate, an information charge on top of the call.</summary>
    PremiumRate,
    /// <summary>012, 015: pagers; nobody answers a voice call.</summary>
    Pager,
    /// <summary>112 police, 119 fire and ambulance, 122 coast guard.</summary>
    Emergency,
    /// <summary>Other short codes (114, 120, 131, 1330, …): routed by the caller's region, some charged.</summary>
    ShortCode,
    /// <summary>A number abroad, through an international prefix (001, 002, 00700, …) or +.</summary>
    International,
    /// <summary>Country codes of no country (+800, +808, +870, +881, +882, +883, +888, +979): satellite, international networks, premium rate.</summary>
    InternationalNetwork,
}

/// <summary>Whether a category is called: always, when the operator allowed it for the business, or never.</summary>
public enum DialPolicy
{
    Allowed,
    /// <summary>Only where the operator set AllowInternational for the business.</summary>
    WhenInternationalAllowed,
    /// <summary>Only where the operator set AllowPremium for the business.</summary>
    WhenPremiumAllowed,
    Barred,
}

/// <summary>One row of the dial plan: what is dialled, its policy, and the SIP answer when it is refused.</summary>
public sealed record DialRule(DialCategory Category, string Dialled, DialPolicy Policy, int RefusalCode, string RefusalReason, string Korean, string English);

/// <summary>A dialled number classified: its E.164 form and its category.</summary>
public readonly record struct Destination(string E164, DialCategory Category);

/// <summary>
/// The dial plan of members' calls, stated once: what a member may dial, what E.164 number it
/// becomes and which category it is in (<see cref="Classify"/>), and each category's policy
/// (<see cref="Rules"/>), which the operator console shows as it is.
/// </summary>
public static class DialPlan
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>The SIP answer to a number that is not in the plan at all.</summary>
    public static readonly CallDecision NotANumber = CallDecision.Refuse(404, "Invalid number");

    /// <summary>
    /// Korea's international prefixes (국제전화 식별번호, one or more per carrier); after one comes
    /// a country code. No prefix is the start of another, so the first match is the only one.
    /// </summary>
    public static readonly IReadOnlyList<string> InternationalPrefixes =
        ["001", "002", "005", "006", "008", "009", "0073", "00345", "00365", "00391", "00700", "00727", "00755", "00761", "00762", "00766"];

    /// <summary>Country codes that belong to no country (ITU "global services").</summary>
    private static readonly int[] NetworkCountryCodes = [800, 808, 870, 878, 881, 882, 883, 888, 979];

    public static readonly IReadOnlyList<DialRule> Rules =
    [
        new(DialCategory.Mobile, "010, 011, 016–019", DialPolicy.Allowed, 0, "",
            "휴대전화", "Mobile phones"),
        new(DialCategory.Geographic, "02, 031–064", DialPolicy.Allowed, 0, "",
            "지역번호 유선전화", "Landlines (area codes)"),
        new(DialCategory.InternetPhone, "070", DialPolicy.Allowed, 0, "",
            "인터넷전화", "Internet phones"),
        new(DialCategory.PersonalNumber, "0502–0508", DialPolicy.Allowed, 0, "",
            "개인번호 (안심번호 · 평생번호)", "Personal numbers (safe numbers, lifetime numbers)"),
        new(DialCategory.TollFree, "080", DialPolicy.Allowed, 0, "",
            "수신자 부담 (무료)", "Toll-free"),
        new(DialCategory.Nationwide, "15xx, 16xx, 18xx", DialPolicy.Allowed, 0, "",
            "전국대표번호", "Nationwide business numbers"),
        new(DialCategory.PremiumRate, "060", DialPolicy.WhenPremiumAllowed, 403, "Premium-rate numbers barred",
            "유료 정보번호: 정보이용료가 붙습니다. 업체별로 운영자가 허용할 때만", "Premium rate (an information charge): only where the operator allows it"),
        new(DialCategory.Pager, "012, 015", DialPolicy.Barred, 403, "Pager numbers barred",
            "무선호출: 음성 통화를 받을 수 없습니다", "Pagers: no voice call is answered"),
        new(DialCategory.Emergency, "112, 119, 122", DialPolicy.Barred, 403, "Emergency calls: use the phone's own dialler",
            "긴급전화: 위치가 전달되도록 휴대폰의 기본 전화로 거세요 (회사 번호로 걸면 출동 위치와 회신 번호가 틀립니다)",
            "Emergency: call from the phone's own dialler, which sends its location (through the company number the location and call-back number would be wrong)"),
        new(DialCategory.ShortCode, "1xx, 1xxx (114, 120, 131, 1330 …)", DialPolicy.Barred, 403, "Short codes barred",
            "특수번호: 거는 사람의 지역으로 연결되고 일부는 유료라 휴대폰으로 거세요", "Short codes: routed by the caller's region, some charged; call them from the phone"),
        new(DialCategory.International, string.Join(", ", InternationalPrefixes) + ", +", DialPolicy.WhenInternationalAllowed, 403, "International calls barred",
            "국제전화: 업체별로 운영자가 허용할 때만. 국제전화 식별번호 뒤의 82는 국내 번호로 봅니다",
            "International: only where the operator allows it. 82 after an international prefix is a Korean number"),
        new(DialCategory.InternationalNetwork, "+800, +808, +870, +878, +881, +882, +883, +888, +979", DialPolicy.Barred, 403, "International network numbers barred",
            "위성전화 · 국제망 · 국제 유료번호: 요금이 일반 국제전화의 수십 배라 막습니다",
            "Satellite, international networks and international premium rate: many times the price of a call abroad"),
    ];

    public static DialRule Rule(DialCategory category) => Rules.First(r => r.Category == category);

    /// <summary>Whether a business may call a destination: null when it may, else the SIP refusal.</summary>
    public static CallDecision? Refusal(DialCategory category, bool allowInternational, bool allowPremium)
    {
        var rule = Rule(category);
        var allowed = rule.Policy switch
        {
            DialPolicy.Allowed => true,
            DialPolicy.WhenInternationalAllowed => allowInternational,
            DialPolicy.WhenPremiumAllowed => allowPremium,
            _ => false,
        };
        return allowed ? null : CallDecision.Refuse(rule.RefusalCode, rule.RefusalReason);
    }

    /// <summary>
    /// What a member dialled, as their app sent it: digits with a leading + at most, spaces and
    /// dashes between them. Null when it is no number of the plan (letters, * and #, a + inside,
    /// too long, an unknown prefix, a number that does not exist).
    /// </summary>
    public static Destination? Classify(string? dialled)
    {
        if (dialled is null || dialled.Length > 32) return null;
        var typed = dialled.Trim();
        var plus = typed.StartsWith('+');
        var body = plus ? typed[1..] : typed;
        if (body.Length == 0 || !body.All(c => char.IsAsciiDigit(c) || c is ' ' or '-')) return null;
        var digits = new string(body.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length is < 3 or > 20) return null;

        if (plus) return Abroad(digits);
        if (digits.StartsWith("00", StringComparison.Ordinal))
        {
            var prefix = InternationalPrefixes.FirstOrDefault(p => digits.StartsWith(p, StringComparison.Ordinal));
            return prefix is null ? null : Abroad(digits[prefix.Length..]);
        }
        return Domestic(digits);
    }

    /// <summary>Country code and number (E.164 without its +); 82 is a Korean number, classified as if dialled at home.</summary>
    private static Destination? Abroad(string digits)
    {
        if (digits.StartsWith("82", StringComparison.Ordinal))
        {
            var national = digits[2..];
            // "+82 (0)10 …" is how many write it; a second 0 would be an international prefix.
            if (national.StartsWith('0')) national = national[1..];
            if (national.Length == 0 || national.StartsWith('0')) return null;
            // Nationwide numbers and short codes are dialled without the 0 at home too.
            return Domestic(national.StartsWith('1') && national.Length <= 8 ? national : "0" + national);
        }
        if (digits.Length is < 7 or > 15) return null;
        var number = ParseOrNull("+" + digits, "ZZ");
        if (number is null) return null;
        if (NetworkCountryCodes.Contains(number.CountryCode)) return new Destination("+" + digits, DialCategory.InternationalNetwork);
        return Util.IsValidNumber(number) ? new Destination(Util.Format(number, PhoneNumberFormat.E164), DialCategory.International) : null;
    }

    /// <summary>A number dialled inside Korea (0…, or 1… for nationwide numbers and short codes).</summary>
    private static Destination? Domestic(string digits)
    {
        if (digits.StartsWith('1'))
        {
            if (digits.Length == 8 && digits[1] is '5' or '6' or '8') return Korean(digits, DialCategory.Nationwide, PhoneNumberType.UAN);
            if (digits is "112" or "119" or "122") return new Destination("+82" + digits, DialCategory.Emergency);
            return digits.Length is 3 or 4 ? new Destination("+82" + digits, DialCategory.ShortCode) : null;
        }
        if (!digits.StartsWith('0') || digits.Length < 9) return null;
        var national = digits[1..];
        return national switch
        {
            ['1', '0' or '1' or '6' or '7' or '8' or '9', ..] => Korean(digits, DialCategory.Mobile, PhoneNumberType.MOBILE),
            ['1', '2' or '5', ..] => new Destination("+82" + national, DialCategory.Pager),
            ['2', ..] or ['3', '1' or '2' or '3', ..] or ['4', '1' or '2' or '3' or '4', ..] or ['5', '1' or '2' or '3' or '4' or '5', ..] or ['6', '1' or '2' or '3' or '4', ..]
                => Korean(digits, DialCategory.Geographic, PhoneNumberType.FIXED_LINE),
            ['5', '0', >= '2' and <= '8', ..] => Korean(digits, DialCategory.PersonalNumber, PhoneNumberType.PERSONAL_NUMBER),
            ['6', '0', ..] => Korean(digits, DialCategory.PremiumRate, PhoneNumberType.PREMIUM_RATE),
            ['7', '0', ..] => Korean(digits, DialCategory.InternetPhone, PhoneNumberType.VOIP),
            ['8', '0', ..] => Korean(digits, DialCategory.TollFree, PhoneNumberType.TOLL_FREE),
            _ => null,
        };
    }

    /// <summary>The number in E.164 when it exists in Korea's numbering plan with the type its prefix says.</summary>
    private static Destination? Korean(string digits, DialCategory category, PhoneNumberType type)
    {
        var number = ParseOrNull(digits, "KR");
        if (number is null || !Util.IsValidNumberForRegion(number, "KR") || Util.GetNumberType(number) != type) return null;
        return new Destination(Util.Format(number, PhoneNumberFormat.E164), category);
    }

    private static PhoneNumber? ParseOrNull(string digits, string region)
    {
        try
        {
            return Util.Parse(digits, region);
        }
        catch (NumberParseException)
        {
            return null;
        }
    }
}
