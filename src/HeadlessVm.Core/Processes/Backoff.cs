namespace HeadlessVm.Core.Processes;

/// <summary>
/// The pauses of a poll that should notice a change at once when it is quick and cost little when it is
/// slow: 1 ms, doubling up to 50 ms (a qemu that quits takes a few milliseconds; a guest that shuts down,
/// seconds). Throws when cancelled.
/// </summary>
public sealed class Backoff
{
    private readonly int _most;
    private int _next;

    /// <param name="mostMilliseconds">The longest pause.</param>
    /// <param name="firstMilliseconds">The first pause (1 ms); each next one is twice as long, up to <paramref name="mostMilliseconds"/>.</param>
    public Backoff(int mostMilliseconds = 50, int firstMilliseconds = 1)
    {
        _most = mostMilliseconds;
        _next = Math.Min(firstMilliseconds, mostMilliseconds);
    }

    /// <summary>Pauses for the next step; throws <see cref="OperationCanceledException"/> as soon as <paramref name="cancellationToken"/> is cancelled.</summary>
    public void Wait(CancellationToken cancellationToken)
    {
        cancellationToken.WaitHandle.WaitOne(_next);
        cancellationToken.ThrowIfCancellationRequested();
        _next = Math.Min(_next * 2, _most);
    }
}
