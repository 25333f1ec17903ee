using System.Text.RegularExpressions;
using OiCall.Web.Features.Telephony;
using PhoneNumbers;

namespace OiCall.Tests.Telephony;

/// <summary>What a member dials becomes the right E.164 number in the right category, and each category has its policy.</summary>
public sealed class DialPlanTests
{
    [Theory]
    // Domestic, in every category.
    [InlineData("02-1234-5678", "+82212345678", DialCategory.Geographic)]
    [InlineData("021234567", "+8221234567", DialCategory.Geographic)]
    [InlineData("031-123-4567", "+82311234567", DialCategory.Geographic)]
    [InlineData("064-723-4567", "+82647234567", DialCategory.Geographic)]
    [InlineData("010-2038-0995", "+821020380995", DialCategory.Mobile)]
    [InlineData("011-1234-5678", "+821112345678", DialCategory.Mobile)]
    [InlineData("016-123-4567", "+82161234567", DialCategory.Mobile)]
    [InlineData("019-1234-5678", "+821912345678", DialCategory.Mobile)]
    [InlineData("070-1234-5678", "+827012345678", DialCategory.InternetPhone)]
    [InlineData("0504-123-4567", "+825041234567", DialCategory.PersonalNumber)]
    [InlineData("0505 123 4567", "+825051234567", DialCategory.PersonalNumber)]
    [InlineData("080-123-4567", "+82801234567", DialCategory.TollFree)]
    [InlineData("1588-1234", "+8215881234", DialCategory.Nationwide)]
    [InlineData("1600-1234", "+8216001234", DialCategory.Nationwide)]
    [InlineData("1800-1234", "+8218001234", DialCategory.Nationwide)]
    [InlineData("060-700-1234", "+82607001234", DialCategory.PremiumRate)]
    [InlineData("015-123-4567", "+82151234567", DialCategory.Pager)]
    [InlineData("112", "+82112", DialCategory.Emergency)]
    [InlineData("119", "+82119", DialCategory.Emergency)]
    [InlineData("122", "+82122", DialCategory.Emergency)]
    [InlineData("114", "+82114", DialCategory.ShortCode)]
    [InlineData("1330", "+821330", DialCategory.ShortCode)]
    // +82 is a call at home, whatever category the number is in.
    [InlineData("+82 10 2038 0995", "+821020380995", DialCategory.Mobile)]
    [InlineData("+82 02 1234 5678", "+82212345678", DialCategory.Geographic)]
    [InlineData("+82 1588 1234", "+8215881234", DialCategory.Nationwide)]
    [InlineData("+82 60 700 1234", "+82607001234", DialCategory.PremiumRate)]
    // Abroad, with + or a prefix.
    [InlineData("+1 212 555 0100", "+12125550100", DialCategory.International)]
    [InlineData("+44 20 7946 0000", "+442079460000", DialCategory.International)]
    [InlineData("00700-1-212-555-0100", "+12125550100", DialCategory.International)]
    [InlineData("00365 44 20 7946 0000", "+442079460000", DialCategory.International)]
    [InlineData("00345 86 138 1234 5678", "+8613812345678", DialCategory.International)]
    [InlineData("008 81 3 1234 5678", "+81312345678", DialCategory.International)]
    // A Korean number through an international prefix is the Korean number: no way around its policy.
    [InlineData("001 82 60 700 1234", "+82607001234", DialCategory.PremiumRate)]
    [InlineData("00700 82 10 2038 0995", "+821020380995", DialCategory.Mobile)]
    [InlineData("002 82 112", "+82112", DialCategory.Emergency)]
    // Satellite, international networks, international premium rate.
    [InlineData("+882 16 000 1234", "+882160001234", DialCategory.InternationalNetwork)]
    [InlineData("00700 881 6 1234 5678", "+881612345678", DialCategory.InternationalNetwork)]
    [InlineData("001 870 7761 23456", "+870776123456", DialCategory.InternationalNetwork)]
    [InlineData("+979 1234 5678", "+97912345678", DialCategory.InternationalNetwork)]
    [InlineData("+800 1234 5678", "+80012345678", DialCategory.InternationalNetwork)]
    public void Each_prefix_becomes_its_E164_number_in_its_category(string dialled, string e164, DialCategory category) =>
        Assert.Equal(new Destination(e164, category), DialPlan.Classify(dialled));

    public static TheoryData<string> Prefixes => new(DialPlan.InternationalPrefixes);

    [Theory, MemberData(nameof(Prefixes))]
    public void Every_international_prefix_is_followed_by_a_country_code(string prefix)
    {
        Assert.Equal(new Destination("+12125550100", DialCategory.International), DialPlan.Classify(prefix + "12125550100"));
        Assert.Equal(new Destination("+821020380995", DialCategory.Mobile), DialPlan.Classify(prefix + "821020380995"));
    }

    /// <summary>The prefixes stated here are exactly those of Korea's numbering plan as libphonenumber knows it.</summary>
    [Fact]
    public void The_international_prefixes_are_Koreas_and_no_others()
    {
        var pattern = new Regex($"^(?:{PhoneNumberUtil.GetInstance().GetMetadataForRegion("KR").InternationalPrefix})$");
        var allShort = Enumerable.Range(3, 3).SelectMany(length => Enumerable.Range(0, (int)Math.Pow(10, length - 2))
            .Select(n => "00" + n.ToString().PadLeft(length - 2, '0')));
        Assert.Equal(allShort.Where(p => pattern.IsMatch(p)).Order(), DialPlan.InternationalPrefixes.Order());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("+")]
    [InlineData("12")]
    [InlineData("0212")]
    [InlineData("02-1234-ABCD")]
    [InlineData("1588-CALL")]                        // libphonenumber would read letters as a keypad's digits
    [InlineData("*23#0212345678")]                   // a carrier's feature code (hide caller ID) in front
    [InlineData("#31#0212345678")]
    [InlineData("0212345678#")]
    [InlineData("*112")]
    [InlineData("0212345678;user=phone")]
    [InlineData("0212345678@198.51.100.7")]
    [InlineData("001+821012345678")]                 // a + after an international prefix
    [InlineData("++821012345678")]
    [InlineData("+82+1012345678")]
    [InlineData("+8200 1 212 555 0100")]             // +82 and then an international prefix
    [InlineData("00182")]
    [InlineData("004 1 212 555 0100")]               // no such prefix
    [InlineData("0001 212 555 0100")]
    [InlineData("001 1 212 555 0100 1234 5678")]    // longer than any E.164 number
    [InlineData("0212345678901234567890123456789012")]
    [InlineData("０２１２３４５６７８")]                // full-width digits
    [InlineData("02\u200b12345678")]
    [InlineData("013-1234-5678")]
    [InlineData("0501234567")]
    [InlineData("0303 123 4567")]
    [InlineData("1234-5678")]                        // a local number without its area code
    [InlineData("12345")]
    [InlineData("+1 212 555")]
    public void Hostile_or_unknown_input_is_no_number(string dialled) => Assert.Null(DialPlan.Classify(dialled));

    [Theory]
    [InlineData(DialCategory.Mobile, true, true, true, true)]
    [InlineData(DialCategory.Geographic, true, true, true, true)]
    [InlineData(DialCategory.InternetPhone, true, true, true, true)]
    [InlineData(DialCategory.PersonalNumber, true, true, true, true)]
    [InlineData(DialCategory.TollFree, true, true, true, true)]
    [InlineData(DialCategory.Nationwide, true, true, true, true)]
    [InlineData(DialCategory.PremiumRate, false, false, true, true)]
    [InlineData(DialCategory.International, false, true, false, true)]
    [InlineData(DialCategory.Pager, false, false, false, false)]
    [InlineData(DialCategory.Emergency, false, false, false, false)]
    [InlineData(DialCategory.ShortCode, false, false, false, false)]
    [InlineData(DialCategory.InternationalNetwork, false, false, false, false)]
    public void Each_category_is_called_only_as_its_policy_says(DialCategory category, bool neither, bool international, bool premium, bool both)
    {
        Assert.Equal(neither, DialPlan.Refusal(category, allowInternational: false, allowPremium: false) is null);
        Assert.Equal(international, DialPlan.Refusal(category, allowInternational: true, allowPremium: false) is null);
        Assert.Equal(premium, DialPlan.Refusal(category, allowInternational: false, allowPremium: true) is null);
        Assert.Equal(both, DialPlan.Refusal(category, allowInternational: true, allowPremium: true) is null);
    }

    [Theory]
    [InlineData(DialCategory.PremiumRate, "Premium-rate numbers barred")]
    [InlineData(DialCategory.International, "International calls barred")]
    [InlineData(DialCategory.Pager, "Pager numbers barred")]
    [InlineData(DialCategory.Emergency, "Emergency calls: use the phone's own dialler")]
    [InlineData(DialCategory.ShortCode, "Short codes barred")]
    [InlineData(DialCategory.InternationalNetwork, "International network numbers barred")]
    public void A_refused_category_answers_403_with_its_own_reason(DialCategory category, string reason) =>
        Assert.Equal(CallDecision.Refuse(403, reason), DialPlan.Refusal(category, allowInternational: false, allowPremium: false));

    [Fact]
    public void Every_category_has_exactly_one_rule() =>
        Assert.Equal(Enum.GetValues<DialCategory>(), DialPlan.Rules.Select(r => r.Category).Order());
}
