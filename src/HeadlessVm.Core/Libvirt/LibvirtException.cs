namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// A libvirt call failed. <see cref="HeadlessVmException.ErrorId"/> is one of <see cref="LibvirtErrors"/>'
/// ids, <see cref="HeadlessVmException.Target"/> the domain or connection URI concerned, and
/// <see cref="Error"/> libvirt's own report (null when the failure was found before libvirt was called,
/// e.g. a missing library).
/// </summary>
public sealed class LibvirtException : HeadlessVmException
{
    public LibvirtException(string errorId, FailureKind kind, string? target, string message, LibvirtError? error = null, Exception? inner = null)
        : base(errorId, kind, target, message, inner)
    {
        Error = error;
    }

    /// <summary>libvirt's code, domain, level and message, or null.</summary>
    public LibvirtError? Error { get; }
}
