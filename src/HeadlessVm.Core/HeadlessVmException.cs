namespace HeadlessVm.Core;

/// <summary>How a failure should be classified; the cmdlet layer maps it to PowerShell's ErrorCategory.</summary>
public enum FailureKind
{
    InvalidArgument,
    ObjectNotFound,
    ResourceExists,
    ResourceUnavailable,
    ResourceBusy,
    InvalidOperation,
    OperationTimeout,
    PermissionDenied,
    NotInstalled,
    ConnectionError,
    OperationStopped,

    /// <summary>Something HeadlessVm does not do yet (a console across hosts before its ssh tunnels exist).</summary>
    NotImplemented,

    /// <summary>A file holds something that is not what it should (a damaged record).</summary>
    InvalidData,

    /// <summary>A file or folder cannot be written (a read-only or full file system, a path that is a file).</summary>
    WriteError,
}

/// <summary>Every failure the core reports: a stable id, a kind, and the name of what it concerns.</summary>
public class HeadlessVmException : Exception
{
    public HeadlessVmException(string errorId, FailureKind kind, string? target, string message, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    public string ErrorId { get; }
    public FailureKind Kind { get; }
    public string? Target { get; }
}

/// <summary>A native program (qemu, qemu-img, websockify) refused; carries its own message and exit code.</summary>
public sealed class NativeCommandException : HeadlessVmException
{
    public NativeCommandException(string errorId, FailureKind kind, string? target, string message, string program, int exitCode, string standardError)
        : base(errorId, kind, target, message)
    {
        Program = program;
        ExitCode = exitCode;
        StandardError = standardError;
    }

    public string Program { get; }
    public int ExitCode { get; }
    public string StandardError { get; }
}
