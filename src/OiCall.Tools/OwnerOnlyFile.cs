namespace OiCall.Tools;

/// <summary>A new file (never an existing one) readable and writable by its owner only, from the moment it exists.</summary>
public static class OwnerOnlyFile
{
    public static FileStream Create(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new FileStream(path, options);
    }
}
