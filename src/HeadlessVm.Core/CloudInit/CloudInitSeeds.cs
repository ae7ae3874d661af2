using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.CloudInit;

/// <summary>
/// cloud-init NoCloud seeds: an ISO 9660 image labelled "cidata" holding user-data, meta-data (instance-id,
/// local-hostname) and optionally network-config, which cloud-init finds on any attached disk with that label
/// (cloud-init docs, "NoCloud"). Made by cloud-localds (cloud-image-utils) from files in a private folder, so the SSH
/// key and user-data never appear on a command line; the seed is made under a temporary name and is 0600.
/// </summary>
public static partial class CloudInitSeeds
{
    public const string Program = "cloud-localds";

    [GeneratedRegex(@"^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+( .*)?$")]
    private static partial Regex PublicKeyPattern();

    /// <summary>
    /// The draft's texts read (a value naming an existing file is that file's text; one that looks like a path but
    /// names no readable file is CloudInitFileUnreadable), each key checked (InvalidSshPublicKey), -UserData not with a
    /// user or keys (CloudInitConflict). The instance id is new.
    /// </summary>
    public static CloudInitConfig Resolve(string vmName, CloudInitDraft draft)
    {
        var keys = draft.SshPublicKeys.Where(k => !string.IsNullOrWhiteSpace(k))
            .SelectMany(k => Text(vmName, k, "SshPublicKey").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(k => !k.StartsWith('#')).ToArray();
        foreach (var key in keys)
        {
            if (!PublicKeyPattern().IsMatch(key))
            {
                throw HeadlessVmErrors.InvalidSshPublicKey(vmName, key.Length > 40 ? key[..40] + "..." : key);
            }
        }

        var userData = string.IsNullOrWhiteSpace(draft.UserData) ? null : Text(vmName, draft.UserData, "UserData");
        if (userData is not null && (keys.Length > 0 || !string.IsNullOrWhiteSpace(draft.UserName)))
        {
            throw HeadlessVmErrors.CloudInitConflict(vmName);
        }

        if (!string.IsNullOrWhiteSpace(draft.HostName) && !Uri.CheckHostName(draft.HostName.Trim()).Equals(UriHostNameType.Dns))
        {
            throw HeadlessVmErrors.InvalidGuestHostName(vmName, draft.HostName);
        }

        return new CloudInitConfig
        {
            UserName = string.IsNullOrWhiteSpace(draft.UserName) ? null : draft.UserName.Trim(),
            HostName = string.IsNullOrWhiteSpace(draft.HostName) ? null : draft.HostName.Trim(),
            SshPublicKeys = keys,
            UserData = userData,
            NetworkConfig = string.IsNullOrWhiteSpace(draft.NetworkConfig) ? null : Text(vmName, draft.NetworkConfig, "NetworkConfig"),
            InstanceId = NewInstanceId(vmName),
        };
    }

    /// <summary>"VM-" and 12 random hex digits: a new one tells cloud-init that this is a new instance to set up.</summary>
    public static string NewInstanceId(string vmName) => $"{vmName}-{Guid.NewGuid().ToString("N")[..12]}";

    /// <summary>The user-data the module writes: #cloud-config with the user (passwordless sudo, key login only) and the keys.</summary>
    public static string UserData(CloudInitConfig config)
    {
        if (config.UserData is not null)
        {
            return config.UserData;
        }

        // YAML is a superset of JSON: JSON strings are YAML scalars that need no further quoting.
        string List(string indent) => string.Concat(config.SshPublicKeys.Select(k => $"\n{indent}- {JsonSerializer.Serialize(k)}"));
        var text = new StringBuilder("#cloud-config\n");
        if (config.UserName is not null)
        {
            text.Append("users:\n  - default\n  - name: ").Append(JsonSerializer.Serialize(config.UserName))
                .Append("\n    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n    shell: /bin/bash\n    lock_passwd: true\n");
            if (config.SshPublicKeys.Count > 0)
            {
                text.Append("    ssh_authorized_keys:").Append(List("      ")).Append('\n');
            }
        }
        else if (config.SshPublicKeys.Count > 0)
        {
            text.Append("ssh_authorized_keys:").Append(List("  ")).Append('\n');
        }

        return text.Append("ssh_pwauth: false\n").ToString();
    }

    /// <summary>
    /// The first-line headers by which cloud-init tells what user-data is (cloud-init's "User-data formats" and its
    /// handlers: cloud-config, a script, an include list, a boothook, a part handler, a jinja template, a cloud-config
    /// archive, a MIME multi-part message). Text that starts with none of them is not acted on at all.
    /// </summary>
    private static readonly string[] UserDataHeaders =
    {
        "#cloud-config", "#!", "#include", "#cloud-boothook", "#part-handler", "#upstart-job", "## template: jinja",
        "Content-Type:", "MIME-Version:",
    };

    /// <summary>
    /// What makes a seed useless though cloud-localds takes it: -UserData that cloud-init ignores (no header of
    /// <see cref="UserDataHeaders"/> on its first line), or no user-data, user or key at all, which leaves the image's
    /// default user with no key and password login off (the user-data the module writes says ssh_pwauth: false).
    /// </summary>
    public static IEnumerable<string> Warnings(string vmName, CloudInitConfig config)
    {
        if (config.UserData is { } userData)
        {
            var first = userData.TrimStart('\uFEFF').Split('\n', 2)[0].TrimEnd('\r');
            if (!UserDataHeaders.Any(h => first.StartsWith(h, StringComparison.OrdinalIgnoreCase)))
            {
                yield return $"The cloud-init user-data of VM '{vmName}' starts with '{(first.Length > 40 ? first[..40] + "..." : first)}', " +
                    "which is no user-data format cloud-init knows, so it will ignore the whole of it. Begin it with a line '#cloud-config' " +
                    "(YAML settings), or '#!' (a script), '#include', '## template: jinja' or a MIME header.";
            }
        }
        else if (config.UserName is null && config.SshPublicKeys.Count == 0)
        {
            yield return $"The cloud-init seed of VM '{vmName}' gives no user, key or user-data: the image's default user gets no key, and " +
                "password login stays off, so there is no way in over ssh. Give -SshPublicKey (and -UserName), or -UserData.";
        }
    }

    /// <summary>meta-data: the instance id and the host name (the VM's name when none is given).</summary>
    public static string MetaData(string vmName, CloudInitConfig config) =>
        $"instance-id: {JsonSerializer.Serialize(config.InstanceId)}\nlocal-hostname: {JsonSerializer.Serialize(config.HostName ?? vmName)}\n";

    /// <summary><c>cloud-localds [--network-config=FILE] SEED USER-DATA META-DATA</c>: file names only.</summary>
    public static NativeCommand Command(string seed, string userData, string metaData, string? networkConfig)
    {
        var a = new List<string>();
        if (networkConfig is not null)
        {
            a.Add("--network-config=" + networkConfig);
        }

        a.AddRange(new[] { seed, userData, metaData });
        return new NativeCommand(Program, a);
    }

    /// <summary>
    /// Makes the VM's seed (<see cref="StatePaths.VmFiles.CloudInitSeed"/>, 0600) from <paramref name="config"/>: the
    /// files go to a 0700 folder in the VM's folder, cloud-localds writes a temporary image, which is renamed over the
    /// seed when complete; the folder goes in any case. CloudInitSeedFailed with cloud-localds's message when it refuses.
    /// </summary>
    public static void Write(string vmName, StatePaths.VmFiles vm, CloudInitConfig config, IVmHost host, CancellationToken cancellationToken = default)
    {
        foreach (var warning in Warnings(vmName, config))
        {
            host.Warning(warning);
        }

        var work = vm.CloudInitWork;
        PrivateFiles.EnsureFolder(work);
        var partial = vm.CloudInitSeedPartial;
        try
        {
            var userData = Path.Combine(work, "user-data");
            var metaData = Path.Combine(work, "meta-data");
            var network = config.NetworkConfig is null ? null : Path.Combine(work, "network-config");
            PrivateFiles.WriteAllText(userData, UserData(config));
            PrivateFiles.WriteAllText(metaData, MetaData(vmName, config));
            if (network is not null)
            {
                PrivateFiles.WriteAllText(network, config.NetworkConfig!);
            }

            var command = Command(partial, userData, metaData, network);
            host.Verbose("Running: " + command.Display);
            var result = NativeRunner.Run(command, cancellationToken);
            if (result.ExitCode != 0)
            {
                throw HeadlessVmErrors.CloudInitSeedFailed(vmName, result.Message, command.Program, result.ExitCode, result.StandardError);
            }

            File.SetUnixFileMode(partial, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(partial, vm.CloudInitSeed, overwrite: true);
        }
        finally
        {
            PrivateFiles.TryDelete(partial);
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                host.Warning($"Could not remove the cloud-init work folder '{work}': {ex.Message}");
            }
        }
    }

    /// <summary>The text a parameter gives: a full path to a file is its content; anything else is the text itself.</summary>
    private static string Text(string vmName, string value, string parameter)
    {
        var trimmed = value.Trim();
        var looksLikePath = Path.IsPathRooted(trimmed) && !trimmed.Contains('\n');
        if (!looksLikePath)
        {
            return value;
        }

        try
        {
            return File.ReadAllText(trimmed);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw HeadlessVmErrors.CloudInitFileUnreadable(vmName, parameter, trimmed, ex.Message);
        }
    }
}
