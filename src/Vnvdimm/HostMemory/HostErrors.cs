namespace Vnvdimm.HostMemory;

/// <summary>
/// What went wrong with a host file, in the C library's words (as QEMU prints them), not .NET's:
/// "Permission denied", not "Access to the path '...' is denied.".
/// </summary>
public static class HostErrors
{
    public static string Describe(Exception e, string? path = null) => e switch
    {
        // .NET reports EISDIR as denied access too: look before saying which.
        UnauthorizedAccessException when path is not null && Directory.Exists(path) => "Is a directory",
        UnauthorizedAccessException => "Permission denied",
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        PathTooLongException => "File name too long",
        IOException { HResult: > 0 and < 4096 } io => Libc.Describe(io.HResult), // .NET keeps the errno here on Unix
        ArgumentException when path is { Length: 0 } => "No such file or directory",
        _ => e.Message,
    };
}
