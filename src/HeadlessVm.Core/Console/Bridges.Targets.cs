using System.Globalization;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Console;

/// <summary>What a bridge serves: a VM's VNC server as its backend reports it, or the VNC server a -Target names.</summary>
public sealed partial class Bridges
{
    private (string Name, string Target, string TokenTarget, ConsoleEndpoint? Endpoint) ToVm(HostTarget host, string vmName, CancellationToken cancellationToken)
    {
        var vms = host.IsLocalStore ? _vms : _backendFor(host, cancellationToken);
        var name = BridgeNames.Of(host, vmName);
        BridgeNames.Validate(name);
        var endpoint = vms.FindConsoleEndpoint(vmName)
            ?? throw (vms.Exists(vmName) ? HeadlessVmErrors.VmNotRunning(vmName, ", so there is no screen to bridge") : HeadlessVmErrors.VmNotFound(vmName));
        return (name, endpoint.Display, endpoint.TokenTarget, endpoint);
    }

    private (string Name, string Target, string TokenTarget, ConsoleEndpoint? Endpoint) ToTarget(BridgeRequest request)
    {
        var (host, port) = ParseTarget(request.Target ?? string.Empty);
        var target = WebsockifyArguments.HostPort(host, port);
        var name = request.Name ?? DefaultName(host, port);
        VmStore.ValidateName(name);
        if (_vms.Exists(name))
        {
            throw HeadlessVmErrors.BridgeNameInUse(name, target);
        }

        return (name, target, $"{host}:{port}", null);
    }

    private static (string Host, int Port) ParseTarget(string target)
    {
        var colon = target.LastIndexOf(':');
        if (colon > 0 && int.TryParse(target[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
        {
            var host = target[..colon].Trim('[', ']');
            if (host.Length > 0 && !host.Any(char.IsWhiteSpace))
            {
                return (host, port);
            }
        }

        throw HeadlessVmErrors.InvalidTarget(target);
    }

    /// <summary>A -Target bridge's default name: host-port with what a name cannot hold turned into '_' ("192.168.1.20-5901").</summary>
    private static string DefaultName(string host, int port)
    {
        var clean = new string(host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray()).TrimStart('.', '-');
        return $"{clean}-{port}";
    }
}
