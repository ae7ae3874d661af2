namespace HeadlessVm.Core;

/// <summary>Progress of a wait, for Write-Progress.</summary>
public sealed record WaitProgress(string Activity, string Status, int PercentComplete, int SecondsRemaining, bool Completed = false);

/// <summary>
/// How the core talks back to whoever drives it (the cmdlet layer implements this with Write-Warning,
/// Write-Verbose, Write-Debug and Write-Progress). Every call happens on the caller's thread.
/// </summary>
public interface IVmHost
{
    void Warning(string message);
    void Verbose(string message);
    void Debug(string message);
    void Progress(WaitProgress progress);
}

public sealed class NullVmHost : IVmHost
{
    public static readonly NullVmHost Instance = new();
    public void Warning(string message) { }
    public void Verbose(string message) { }
    public void Debug(string message) { }
    public void Progress(WaitProgress progress) { }
}
