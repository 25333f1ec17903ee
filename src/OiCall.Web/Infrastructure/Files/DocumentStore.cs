using OiCall.Web.Data;

namespace OiCall.Web.Infrastructure.Files;

/// <summary>Where uploaded documents live. The one seam for file storage (disk here; object storage later).</summary>
public interface IDocumentStore
{
    Task SaveAsync(string storedName, Stream content, CancellationToken ct);
    /// <summary>Null when the file is gone.</summary>
    Task<Stream?> OpenAsync(string storedName, CancellationToken ct);
    Task DeleteAsync(string storedName, CancellationToken ct);
}

/// <summary>Files under the data directory's documents/ folder: outside the web root, named by the app only.</summary>
public sealed class DiskDocumentStore(DataDirectory data) : IDocumentStore
{
    private string Folder => PrivateFiles.CreateDirectory(Path.Combine(data.Path, "documents"));

    public async Task SaveAsync(string storedName, Stream content, CancellationToken ct)
    {
        await using var file = new FileStream(PathOf(storedName), FileMode.CreateNew, FileAccess.Write, FileShare.None);
        await content.CopyToAsync(file, ct);
    }

    public Task<Stream?> OpenAsync(string storedName, CancellationToken ct)
    {
        var path = PathOf(storedName);
        return Task.FromResult<Stream?>(File.Exists(path) ? File.OpenRead(path) : null);
    }

    public Task DeleteAsync(string storedName, CancellationToken ct)
    {
        File.Delete(PathOf(storedName));
        return Task.CompletedTask;
    }

    // Stored names are generated (a GUID and an extension); anything else is a bug, never a path to follow.
    private string PathOf(string storedName) =>
        System.Text.RegularExpressions.Regex.IsMatch(storedName, "^[0-9a-f]{32}\\.(pdf|jpg|png)$")
            ? Path.Combine(Folder, storedName)
            : throw new ArgumentException("Not a stored document name.", nameof(storedName));
}

/// <summary>What a file is, by its first bytes: only PDF, JPEG and PNG are accepted as documents.</summary>
public static class DocumentType
{
    public static (string ContentType, string Extension)? Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("%PDF-"u8)) return ("application/pdf", "pdf");
        if (head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) return ("image/jpeg", "jpg");
        if (head.StartsWith(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A })) return ("image/png", "png");
        return null;
    }
}
