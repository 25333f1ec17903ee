namespace OiCall.Web.Infrastructure;

/// <summary>One cell of every CSV the service writes.</summary>
public static class CsvCell
{
    /// <summary>
    /// Quoted, so commas, quotes and line breaks stay inside the cell, and defused: a spreadsheet
    /// runs a cell that starts with =, +, -, @, a tab or a carriage return as a formula (names
    /// here are chosen by admins and members), so those get a leading apostrophe.
    /// </summary>
    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var safe = value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' or '\n' ? "'" + value : value;
        return "\"" + safe.Replace("\"", "\"\"") + "\"";
    }
}
