namespace HeadlessVm.Core.Processes;

/// <summary>
/// The pauses of a poll that should notice a change at once when it is quick and cost little when it is
/// slow: 1 ms, doubling up to 50 ms (a qemu that quits takes a few milliseconds; a guest that shuts down,
/// seconds). Throws when cancelled.
/// </summary>
public sealed class Backoff
{
    private readonly int _most;
    private int _next = 1;

    public Backoff(int mostMilliseconds = 50) => _most = mostMilliseconds;

    public void Wait(CancellationToken cancellationToken)
    {
        cancellationToken.WaitHandle.WaitOne(_next);
        cancellationToken.ThrowIfCancellationRequested();
        _next = Math.Min(_next * 2, _most);
    }
}
