using System.Text;

namespace OiCall.Web.Features.Members;

/// <summary>One contact read from a file or from the phone's contact picker, as it was written.</summary>
public sealed record ContactRow(int Line, string? Name, string? Phone);

/// <summary>
/// Reads contacts from a vCard (.vcf, as phones export them: folded lines, quoted-printable
/// Korean names, several TEL lines) or from CSV / tab-separated text (Excel's, in UTF-8 or CP949,
/// with or without a header row).
/// </summary>
public static partial class ContactImport
{
    public const int MaxBytes = 1024 * 1024;
    public const int MaxContacts = 1000;

    static ContactImport() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static IReadOnlyList<ContactRow> Parse(byte[] content)
    {
        var text = Decode(content);
        return text.Contains("BEGIN:VCARD", StringComparison.OrdinalIgnoreCase) ? ParseVCards(text) : ParseTable(text);
    }

    /// <summary>UTF-8 when it is valid UTF-8; otherwise CP949, what Korean Excel writes.</summary>
    private static string Decode(byte[] content)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            return Encoding.GetEncoding(949).GetString(content);
        }
    }

    private static List<ContactRow> ParseVCards(string text)
    {
        var contacts = new List<ContactRow>();
        string? formatted = null, structured = null;
        var phones = new List<string>();
        var startLine = 0;
        foreach (var (line, number) in Unfold(text))
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue;
            var head = line[..colon];
            var value = line[(colon + 1)..];
            var parts = head.Split(';');
            var property = parts[0].ToUpperInvariant();
            // Grouped properties look like "item1.TEL".
            if (property.Contains('.')) property = property[(property.LastIndexOf('.') + 1)..];
            if (head.Contains("QUOTED-PRINTABLE", StringComparison.OrdinalIgnoreCase)) value = DecodeQuotedPrintable(value, Charset(parts));

            switch (property)
            {
                case "BEGIN":
                    formatted = structured = null;
                    phones.Clear();
                    startLine = number;
                    break;
                case "FN":
                    formatted = Unescape(value);
                    break;
                case "N":
                    // Family;Given;Additional;Prefix;Suffix — Korean names read family name first, no space.
                    var n = value.Split(';');
                    structured = string.Concat(n.Take(2).Select(Unescape)).Trim();
                    break;
                case "TEL":
                    var typed = head.ToUpperInvariant();
                    var phone = value.Trim();
                    if (phone.StartsWith("tel:", StringComparison.OrdinalIgnoreCase)) phone = phone[4..];
                    // Mobile numbers first: a contact's CELL line is the one a member calls with.
                    if (typed.Contains("CELL") || typed.Contains("MOBILE")) phones.Insert(0, phone);
                    else phones.Add(phone);
                    break;
                case "END":
                    var name = string.IsNullOrWhiteSpace(formatted) ? structured : formatted;
                    contacts.Add(new ContactRow(startLine, name?.Trim(), PickPhone(phones)));
                    break;
            }
        }
        return contacts;
    }

    /// <summary>The first number that is a Korean mobile, else the first one (reported as not a mobile).</summary>
    private static string? PickPhone(List<string> phones) =>
        phones.FirstOrDefault(p => Infrastructure.KoreanPhone.ParseMobile(p) is not null) ?? phones.FirstOrDefault();

    private static IEnumerable<(string Line, int Number)> Unfold(string text)
    {
        var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        var current = new StringBuilder();
        var start = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var isContinuation = line.Length > 0 && (line[0] == ' ' || line[0] == '\t');
            // Quoted-printable soft line breaks end the line with '='.
            var softBreak = current.Length > 0 && current[^1] == '=' && current.ToString().Contains("QUOTED-PRINTABLE", StringComparison.OrdinalIgnoreCase);
            if (isContinuation) { current.Append(line, 1, line.Length - 1); continue; }
            if (softBreak) { current.Length--; current.Append(line); continue; }
            if (current.Length > 0) yield return (current.ToString(), start);
            current.Clear().Append(line);
            start = i + 1;
        }
        if (current.Length > 0) yield return (current.ToString(), start);
    }

    private static string Charset(string[] parameters)
    {
        var charset = parameters.FirstOrDefault(p => p.StartsWith("CHARSET=", StringComparison.OrdinalIgnoreCase));
        return charset is null ? "utf-8" : charset[8..];
    }

    private static string DecodeQuotedPrintable(string value, string charset)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '=' && i + 2 < value.Length && Uri.IsHexDigit(value[i + 1]) && Uri.IsHexDigit(value[i + 2]))
            {
                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
            }
        }
        Encoding encoding;
        try { encoding = Encoding.GetEncoding(charset); }
        catch (ArgumentException) { encoding = Encoding.UTF8; }
        return encoding.GetString([.. bytes]);
    }

    private static string Unescape(string value) =>
        value.Replace("\\,", ",").Replace("\\;", ";").Replace("\\n", " ").Replace("\\N", " ").Replace("\\\\", "\\");

    private static List<ContactRow> ParseTable(string text)
    {
        var rows = new List<ContactRow>();
        var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        int nameColumn = 0, phoneColumn = 1;
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var cells = SplitRow(lines[i]);
            // "홍길동 01012345678", as people type it: the name, a space, the number.
            if (cells.Count == 1 && NameThenNumber().Match(cells[0].Trim()) is { Success: true } typed)
                cells = [typed.Groups[1].Value, typed.Groups[2].Value];
            if (rows.Count == 0 && i == FirstNonBlank(lines) && LooksLikeHeader(cells, out var n, out var p))
            {
                (nameColumn, phoneColumn) = (n, p);
                continue;
            }
            // A row with a single cell cannot hold both a name and a number; keep it to report as malformed.
            rows.Add(new ContactRow(i + 1,
                cells.Count > nameColumn ? cells[nameColumn].Trim() : null,
                cells.Count > phoneColumn ? cells[phoneColumn].Trim() : null));
        }
        return rows;
    }

    private static int FirstNonBlank(string[] lines) => Array.FindIndex(lines, l => !string.IsNullOrWhiteSpace(l));

    private static bool LooksLikeHeader(List<string> cells, out int nameColumn, out int phoneColumn)
    {
        string[] nameWords = ["이름", "성명", "name"];
        string[] phoneWords = ["전화", "휴대폰", "핸드폰", "번호", "phone", "mobile", "tel"];
        nameColumn = cells.FindIndex(c => nameWords.Any(w => c.Contains(w, StringComparison.OrdinalIgnoreCase)));
        phoneColumn = cells.FindIndex(c => phoneWords.Any(w => c.Contains(w, StringComparison.OrdinalIgnoreCase)));
        if (nameColumn >= 0 && phoneColumn >= 0 && nameColumn != phoneColumn) return true;
        (nameColumn, phoneColumn) = (0, 1);
        return false;
    }

    /// <summary>One CSV row (RFC 4180 quotes) or a tab-separated row, as pasted from a spreadsheet.</summary>
    private static List<string> SplitRow(string line)
    {
        var separator = line.Contains('\t') ? '\t' : ',';
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == separator) { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString());
        return cells;
    }

    // Any digits after the last word count as the number, even too few, so the preview can say the number is unreadable.
    [System.Text.RegularExpressions.GeneratedRegex(@"^(.*?\S)\s+(\+?[0-9][0-9\- ]*[0-9])$")]
    private static partial System.Text.RegularExpressions.Regex NameThenNumber();
}
