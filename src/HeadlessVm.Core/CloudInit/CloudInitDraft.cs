namespace HeadlessVm.Core.CloudInit;

/// <summary>
/// New-HeadlessVm's cloud-init parameters as given: each of <see cref="SshPublicKey"/>, <see cref="UserData"/> and
/// <see cref="NetworkConfig"/> is the text itself or the full path of a file holding it (the cmdlet resolved it
/// against the location). <see cref="CloudInitSeeds.Resolve"/> reads and checks them.
/// </summary>
public sealed record CloudInitDraft
{
    public string? UserName { get; init; }
    public string? HostName { get; init; }
    public IReadOnlyList<string> SshPublicKeys { get; init; } = Array.Empty<string>();
    public string? UserData { get; init; }
    public string? NetworkConfig { get; init; }
}
