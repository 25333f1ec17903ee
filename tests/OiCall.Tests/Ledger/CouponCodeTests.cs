using OiCall.Web.Features.Coupons;

namespace OiCall.Tests.Ledger;

public sealed class CouponCodeTests
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    [Fact]
    public void New_codes_have_sixteen_symbols_in_groups_of_four_and_a_check_and_read_back()
    {
        var codes = Enumerable.Range(0, 500).Select(_ => CouponCode.NewCode()).ToList();
        Assert.All(codes, code =>
        {
            Assert.Matches("^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}-[0-9A-HJKMNP-TV-Z*~$=U]$", code);
            Assert.Equal(CodeReading.Valid, CouponCode.Read(code, out _));
        });
        Assert.Equal(codes.Count, codes.Distinct().Count());
    }

    [Fact]
    public void Typing_is_forgiving_about_case_dashes_spaces_and_look_alike_letters()
    {
        var code = CouponCode.NewCode();
        CouponCode.Read(code, out var canonical);
        var sloppy = code.ToLowerInvariant().Replace("-", " ").Replace('0', 'o').Replace('1', 'l');
        Assert.Equal(CodeReading.Valid, CouponCode.Read(sloppy, out var read));
        Assert.Equal(canonical, read);
        Assert.Equal(CodeReading.Valid, CouponCode.Read(code.Replace("-", "").Replace('1', 'I'), out _));
    }

    [Fact]
    public void Every_single_symbol_substitution_is_caught_as_a_typo()
    {
        for (var n = 0; n < 40; n++)
        {
            CouponCode.Read(CouponCode.NewCode(), out var canonical);
            for (var position = 0; position < CouponCode.DataLength; position++)
                foreach (var symbol in Alphabet.Where(s => s != canonical[position]))
                {
                    var typo = canonical[..position] + symbol + canonical[(position + 1)..];
                    Assert.Equal(CodeReading.Mistyped, CouponCode.Read(typo, out _));
                }
        }
    }

    [Fact]
    public void Every_adjacent_swap_is_caught_as_a_typo()
    {
        for (var n = 0; n < 500; n++)
        {
            CouponCode.Read(CouponCode.NewCode(), out var canonical);
            for (var i = 0; i + 1 < CouponCode.DataLength; i++)
            {
                if (canonical[i] == canonical[i + 1]) continue;
                var swapped = canonical[..i] + canonical[i + 1] + canonical[i] + canonical[(i + 2)..];
                Assert.Equal(CodeReading.Mistyped, CouponCode.Read(swapped, out _));
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("ABCD-EFGH")]
    [InlineData("ABCD-EFGH-JKMN-PQRS-TV")]
    [InlineData("ABCD-EFGH-JKMN-PQR!-T")]
    public void Wrong_lengths_and_symbols_are_malformed(string typed) => Assert.Equal(CodeReading.Malformed, CouponCode.Read(typed, out _));
}
