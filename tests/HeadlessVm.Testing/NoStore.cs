namespace HeadlessVm.Testing;

/// <summary>
/// HEADLESSVM_HOME whenever no test's own store is in use (between tests, before the first, after the
/// last): a folder nobody can create, so that a stray module command fails (it cannot write there) and
/// never falls back to the user's own store in ~/.local/state/headlessvm. .ci/run and the Pester runner
/// set the same.
/// </summary>
public static class NoStore
{
    public const string Variable = "HEADLESSVM_HOME";

    public const string Path = "/proc/headlessvm-tests-no-store";

    /// <summary>Points HEADLESSVM_HOME (process-wide) at <see cref="Path"/>.</summary>
    public static void Apply() => Environment.SetEnvironmentVariable(Variable, Path);
}
