using System.Security.Cryptography;
using System.Text;

namespace OiCall.Web.Features.Coupons;

/// <summary>What reading a typed coupon number found.</summary>
public enum CodeReading
{
    Valid,
    /// <summary>Not 17 symbols of the alphabet after forgiving clean-up.</summary>
    Malformed,
    /// <summary>The check character does not match: a typo, caught before any lookup.</summary>
    Mistyped,
}

/// <summary>
/// Coupon numbers: 16 Crockford base32 symbols (80 random bits) in groups of four, then a check
/// symbol (the value mod 37, Crockford's scheme), e.g. <c>7K3M-Q9XD-2HNR-4TVB-Z</c>. Because 37 is
/// prime and larger than 32, every single-symbol substitution and every adjacent swap changes the
/// check. Typing is forgiving: case, dashes and spaces are ignored; O reads as 0, I and L as 1.
/// </summary>
public static class CouponCode
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const string CheckSymbols = Alphabet + "*~$=U";
    public const int DataLength = 16;

    public static string NewCode()
    {
        Span<byte> random = stackalloc byte[10];
        RandomNumberGenerator.Fill(random);
        UInt128 value = 0;
        foreach (var b in random) value = (value << 8) | b;
        var symbols = new char[DataLength];
        for (var i = DataLength - 1; i >= 0; i--)
        {
            symbols[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }
        var data = new string(symbols);
        return Format(data + Check(data));
    }

    /// <summary>Groups of four with dashes, the check symbol last.</summary>
    public static string Format(string canonical) =>
        string.Join('-', Enumerable.Range(0, 4).Select(i => canonical.Substring(i * 4, 4))) + "-" + canonical[DataLength..];

    /// <summary>Reads what a person typed; on success <paramref name="canonical"/> is the 17 symbols without dashes.</summary>
    public static CodeReading Read(string? typed, out string canonical)
    {
        canonical = "";
        var clean = new StringBuilder();
        foreach (var c in (typed ?? "").ToUpperInvariant())
        {
            if (c is '-' or ' ' or '\t') continue;
            clean.Append(c switch { 'O' => '0', 'I' or 'L' => '1', _ => c });
        }
        if (clean.Length != DataLength + 1) return CodeReading.Malformed;
        var data = clean.ToString(0, DataLength);
        if (data.Any(c => !Alphabet.Contains(c)) || !CheckSymbols.Contains(clean[DataLength])) return CodeReading.Malformed;
        if (Check(data) != clean[DataLength]) return CodeReading.Mistyped;
        canonical = clean.ToString();
        return CodeReading.Valid;
    }

    private static char Check(string data)
    {
        // Crockford's check: the number's value mod 37, computed digit by digit.
        var remainder = 0;
        foreach (var c in data) remainder = (remainder * 32 + Alphabet.IndexOf(c)) % 37;
        return CheckSymbols[remainder];
    }
}
