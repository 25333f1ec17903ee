using OiCall.Web.Infrastructure;

namespace OiCall.Tests.Infrastructure;

public sealed class KoreanPhoneTests
{
    [Theory]
    [InlineData("02-2038-0995", "+82220380995", "02-2038-0995", false)]
    [InlineData("0220380995", "+82220380995", "02-2038-0995", false)]
    [InlineData("070-1234-5678", "+827012345678", "070-1234-5678", false)]
    [InlineData("1588-1234", "+8215881234", "1588-1234", false)]
    [InlineData("031-123-4567", "+82311234567", "031-123-4567", false)]
    [InlineData("010-2038-0995", "+821020380995", "010-2038-0995", true)]
    [InlineData("+82 10 2038 0995", "+821020380995", "010-2038-0995", true)]
    public void Korean_numbers_are_normalised_and_shown_in_korean_format(string typed, string e164, string display, bool mobile)
    {
        var number = KoreanPhone.Parse(typed);
        Assert.NotNull(number);
        Assert.Equal(e164, number.Value.E164);
        Assert.Equal(display, number.Value.Display);
        Assert.Equal(mobile, number.Value.IsMobile);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12")]
    [InlineData("+1 202 555 0143")]
    [InlineData("010-12-34")]
    [InlineData("abc")]
    public void Non_numbers_are_refused(string typed) => Assert.Null(KoreanPhone.Parse(typed));

    [Fact]
    public void A_masked_number_hides_the_middle() => Assert.Equal("010-****-0995", KoreanPhone.Masked("+821020380995"));
}
