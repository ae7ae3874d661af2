namespace HeadlessVm.Core.Model;

/// <summary>
/// A VM's cloud-init first-boot data (NoCloud), kept in its vm.json (0600) so that the seed image can be made again:
/// either a user and SSH keys the module writes as #cloud-config, or the user's own <see cref="UserData"/> whole. Texts
/// are the contents, never file names. <see cref="InstanceId"/> is new whenever the data changes, which is how
/// cloud-init knows to run again (cloud-init's NoCloud datasource docs: meta-data instance-id).
/// </summary>
public sealed record CloudInitConfig
{
    public string? UserName { get; init; }

    /// <summary>The guest's host name (meta-data local-hostname); the VM's name when null.</summary>
    public string? HostName { get; init; }

    /// <summary>OpenSSH public keys ("ssh-ed25519 AAAA... comment"), one per item.</summary>
    public IReadOnlyList<string> SshPublicKeys { get; init; } = Array.Empty<string>();

    /// <summary>The whole user-data (a #cloud-config document or a script); replaces what UserName and SshPublicKeys would write.</summary>
    public string? UserData { get; init; }

    /// <summary>network-config (version 1 or 2 YAML); cloud-init's default (DHCP on the first NIC) when null.</summary>
    public string? NetworkConfig { get; init; }

    public required string InstanceId { get; init; }
}
