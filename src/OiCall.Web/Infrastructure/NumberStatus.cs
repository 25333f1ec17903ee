namespace OiCall.Web.Infrastructure;

/// <summary>
/// The one set of words for where a number's verification stands, shared by the main number (대표번호)
/// and caller numbers (발신번호), so the same situation reads the same on every page.
/// </summary>
public enum NumberStatus
{
    NotVerified,
    /// <summary>A code or an operator is being waited for.</summary>
    Checking,
    DocumentsNeeded,
    Verified,
    Rejected,
    Deleted,
}

public static class NumberStatusText
{
    public static string Label(this NumberStatus status) => status switch
    {
        NumberStatus.NotVerified => Text.Pick("미인증", "Not verified"),
        NumberStatus.Checking => Text.Pick("확인 중", "Being checked"),
        NumberStatus.DocumentsNeeded => Text.Pick("서류 필요", "Documents needed"),
        NumberStatus.Verified => Text.Pick("인증완료", "Verified"),
        NumberStatus.Rejected => Text.Pick("반려", "Rejected"),
        _ => Text.Pick("삭제", "Deleted"),
    };
}
