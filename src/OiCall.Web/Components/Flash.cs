using Microsoft.AspNetCore.WebUtilities;

namespace OiCall.Web.Components;

/// <summary>
/// The message shown after an action and a redirect, in the manual's words. Pages redirect to
/// <c>Flash.To("/", "member-added")</c>; the layout shows the text for that key.
/// </summary>
public static class Flash
{
    private static readonly Dictionary<string, (string Ko, string En)> Messages = new()
    {
        ["business-created"] = ("내 업체가 등록되었습니다.", "Your business has been registered."),
        ["business-updated"] = ("업체 정보가 저장되었습니다.", "The business has been saved."),
        ["business-deleted"] = ("업체가 삭제되었습니다.", "The business has been deleted."),
        ["business-switched"] = ("업체를 전환했습니다.", "Switched business."),
        ["member-added"] = ("새로운 멤버가 등록되었습니다.", "A new member has been registered."),
        ["member-updated"] = ("멤버 정보가 저장되었습니다.", "The member has been saved."),
        ["member-deleted"] = ("멤버가 삭제되었습니다.", "The member has been deleted."),
        ["member-deleted-returned"] = ("멤버가 삭제되었습니다. 남은 시간({0})은 업체의 통화가능 시간으로 돌아갔습니다.", "The member has been deleted. Their {0} left returned to the business's callable time."),
        ["admin-set"] = ("관리자로 지정되었습니다.", "The member is now an admin."),
        ["admin-released"] = ("관리자가 해제되었습니다.", "The member is no longer an admin."),
        ["main-number-verified"] = ("대표번호가 인증되었습니다.", "The main number has been verified."),
        ["charged"] = ("통화시간 충전완료: {0}분이 더해졌습니다.", "Call time charged: {0} min added."),
        ["distributed"] = ("{0}분 분배되었습니다.", "{0} min distributed."),
        ["reclaimed"] = ("{0}분 회수되었습니다.", "{0} min reclaimed."),
        ["caller-number-registered"] = ("발신번호가 등록되었습니다.", "The caller number has been registered."),
        ["caller-number-code-sent"] = ("인증번호를 보냈습니다.", "A code has been sent."),
        ["caller-number-proven"] = ("번호 확인이 끝났습니다. 서류를 올려주세요.", "The number is confirmed. Upload the documents."),
        ["document-uploaded"] = ("서류를 올렸습니다.", "The document has been uploaded."),
        ["document-removed"] = ("서류를 삭제했습니다.", "The document has been removed."),
        ["caller-number-submitted"] = ("심사를 요청했습니다.", "Submitted for review."),
        ["caller-number-deleted"] = ("발신번호가 삭제되었습니다.", "The caller number has been deleted."),
        ["caller-number-deleted-default-moved"] = ("발신번호가 삭제되었습니다. 승인된 다른 번호가 기본 발신번호가 되었습니다.", "The caller number has been deleted. Another approved number is now the default."),
        ["caller-number-deleted-none-left"] = ("발신번호가 삭제되었습니다. 승인된 발신번호가 남아 있지 않아 멤버는 통화할 수 없습니다. 새 발신번호를 등록하세요.", "The caller number has been deleted. No approved caller number is left, so members cannot call. Register a new one."),
        ["caller-number-default"] = ("기본 발신번호를 저장했습니다.", "The default caller number has been saved."),
        ["caller-number-decided"] = ("심사 결과를 저장하고 관리자에게 문자를 보냈습니다.", "Decision saved; the admins have been notified by SMS."),
        ["member-caller-number"] = ("멤버의 발신번호를 저장했습니다.", "The member's caller number has been saved."),
        ["main-number-requested"] = ("인증요청이 접수되었습니다. 운영자가 확인 후 인증합니다.", "Verification requested. An operator will check the number."),
    };

    /// <summary>Messages whose number is seconds, shown as minutes and seconds.</summary>
    private static readonly HashSet<string> DurationKeys = ["member-deleted-returned"];

    public static string To(string path, string key) => QueryHelpers.AddQueryString(path, "m", key);

    /// <summary>A message with a number in it, such as "30분 분배되었습니다.".</summary>
    public static string To(string path, string key, long number) =>
        QueryHelpers.AddQueryString(To(path, key), "n", number.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static string? TextFor(string? key, long? number = null) =>
        key is not null && Messages.TryGetValue(key, out var text)
            ? string.Format(System.Globalization.CultureInfo.InvariantCulture, Infrastructure.Text.Pick(text.Ko, text.En),
                DurationKeys.Contains(key) ? Features.Postpaid.StatementView.Duration(number ?? 0) : number ?? 0)
            : null;
}
