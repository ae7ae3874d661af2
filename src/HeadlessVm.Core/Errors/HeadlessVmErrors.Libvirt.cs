using HeadlessVm.Core.Libvirt;

namespace HeadlessVm.Core.Errors;

/// <summary>
/// libvirt's errors; their target is the domain (VM) or the connection URI concerned. Which id a libvirt
/// failure gets is decided in one place, <see cref="LibvirtErrors"/>.
/// </summary>
public static partial class HeadlessVmErrors
{
    /// <summary>libvirt.so.0 or libvirt-qemu.so.0 cannot be loaded; the message names the Debian package. The target is the file name.</summary>
    public static LibvirtException LibvirtNotInstalled(string fileName, string package) => new(ErrorIds.LibvirtNotInstalled, FailureKind.NotInstalled, fileName,
        $"The libvirt client library '{fileName}' could not be loaded. Install it with 'apt-get install {package}'.");

    /// <summary>
    /// A libvirt call failed: <paramref name="id"/> is the catalogued id <see cref="LibvirtErrors"/> chose from
    /// libvirt's code, <paramref name="message"/> libvirt's own text (with a remedy where one is known) and
    /// <paramref name="error"/> libvirt's report (null when libvirt recorded none).
    /// </summary>
    public static LibvirtException LibvirtFailure(string id, FailureKind kind, string target, string message, LibvirtError? error) =>
        new(id, kind, target, message, error);

    /// <summary>A define whose name is already taken (checked before libvirt would silently redefine it).</summary>
    public static LibvirtException LibvirtDomainExists(string name, string uri, string uuid) => new(ErrorIds.LibvirtDomainExists, FailureKind.ResourceExists, name,
        $"A domain named '{name}' already exists on {uri} (UUID {uuid}).");

    /// <summary>A domain's XML that HeadlessVm cannot read (a foreign VM's, or a broken one); <paramref name="why"/> says what is wrong.</summary>
    public static LibvirtException InvalidDomainXml(string target, string why) => new(ErrorIds.InvalidDomainXml, FailureKind.InvalidArgument, target,
        $"The domain XML cannot be read: {why}.");
}
