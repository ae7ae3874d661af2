namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// libvirt's own report of a failure, copied from its <c>virError</c> (virterror.h): <see cref="Code"/> is a
/// <c>virErrorNumber</c> (see <see cref="LibvirtErrorCode"/>), <see cref="Domain"/> a <c>virErrorDomain</c>
/// (the part of libvirt that raised it, e.g. 7 RPC, 10 QEMU, 12 test driver), <see cref="Level"/> a
/// <c>virErrorLevel</c> (1 warning, 2 error) and <see cref="Message"/> libvirt's text, kept verbatim.
/// </summary>
public sealed record LibvirtError(int Code, int Domain, int Level, string Message);

/// <summary>
/// The <c>virErrorNumber</c> values HeadlessVm tells apart (virterror.h, stable since libvirt 0.1.0 with
/// additions only at the end). Any other code is still carried in <see cref="LibvirtError.Code"/>.
/// </summary>
public static class LibvirtErrorCode
{
    public const int InternalError = 1;
    public const int NoSupport = 3;
    public const int UnknownHost = 4;
    public const int NoConnect = 5;
    public const int InvalidConnection = 6;
    public const int InvalidArgument = 8;
    public const int OperationFailed = 9;
    public const int XmlError = 27;
    public const int DomainExists = 28;
    public const int OperationDenied = 29;
    public const int XmlDetail = 35;
    public const int SystemError = 38;
    public const int Rpc = 39;
    public const int NoDomain = 42;
    public const int AuthFailed = 45;
    public const int OperationInvalid = 55;
    public const int ConfigUnsupported = 67;
    public const int OperationTimeout = 68;
    public const int NoDomainSnapshot = 72;
    public const int ArgumentUnsupported = 74;
    public const int OperationAborted = 78;
    public const int AuthCancelled = 79;
    public const int OperationUnsupported = 84;
    public const int Ssh = 85;
    public const int ResourceBusy = 87;
    public const int AccessDenied = 88;
    public const int XmlInvalidSchema = 92;
    public const int AuthUnavailable = 94;
    public const int LibSsh = 98;
}
