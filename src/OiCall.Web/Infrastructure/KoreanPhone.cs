using PhoneNumbers;

namespace OiCall.Web.Infrastructure;

/// <summary>A Korean phone number in E.164 (+821012345678) with its domestic display form (010-1234-5678).</summary>
public readonly record struct KoreanNumber(string E164, string Display, bool IsMobile);

public static class KoreanPhone
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>Parses any valid Korean number (landline, 070, 15xx, mobile); null when it is not one.</summary>
    public static KoreanNumber? Parse(string? input)
    {
        if (string.IsNullOrWhiteSpace(input) || input.Length > 32) return null;
        try
        {
            var number = Util.Parse(input.Trim(), "KR");
            if (number.CountryCode != 82 || !Util.IsValidNumberForRegion(number, "KR")) return null;
            var type = Util.GetNumberType(number);
            var nationalDigits = number.NationalNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // Korean mobile numbers are 010-XXXX-XXXX; the old 011/016–019 ranges are closed.
            var isMobile = type == PhoneNumberType.MOBILE && nationalDigits.StartsWith("10", StringComparison.Ordinal);
            return new KoreanNumber(
                Util.Format(number, PhoneNumberFormat.E164),
                Util.Format(number, PhoneNumberFormat.NATIONAL),
                isMobile);
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    /// <summary>Only +82 10… numbers: what accounts and members log in and get codes with.</summary>
    public static KoreanNumber? ParseMobile(string? input) => Parse(input) is { IsMobile: true } n ? n : null;

    /// <summary>Domestic display form of a stored E.164 number.</summary>
    public static string Display(string e164) => Parse(e164)?.Display ?? e164;

    /// <summary>010-****-5678: enough for a person to recognise their own number.</summary>
    public static string Masked(string e164)
    {
        var display = Display(e164);
        var parts = display.Split('-');
        return parts.Length == 3 ? $"{parts[0]}-****-{parts[2]}" : display;
    }
}
