using System.Text;
using HeadlessVm.Core.Guest;

namespace HeadlessVm.Core.Libvirt;

/// <summary>What a serial wait reads from: new complete lines with their numbers, and the incomplete last line.</summary>
public interface ISerialFollower
{
    /// <summary>The complete lines added since the last call, with their 1-based line numbers.</summary>
    IReadOnlyList<(int Number, string Text)> ReadNew();

    /// <summary>The incomplete last line (a prompt never gets its newline).</summary>
    string Pending { get; }

    /// <summary>The 1-based number <see cref="Pending"/> will have.</summary>
    int PendingLineNumber { get; }
}

/// <summary>A serial log file on this machine, followed as it grows (<see cref="SerialLogFollower"/>).</summary>
internal sealed class FileSerialFollower : ISerialFollower
{
    private readonly SerialLogFollower _follower;

    public FileSerialFollower(string file, bool fromEnd) => _follower = new SerialLogFollower(file, fromEnd);

    public IReadOnlyList<(int Number, string Text)> ReadNew() => _follower.ReadNew();

    public string Pending => _follower.Pending;

    public int PendingLineNumber => _follower.PendingLineNumber;
}

/// <summary>
/// Everything one boot of a domain printed on its serial console, read from libvirt's console stream by a
/// background task from the moment it was opened (the domain started paused, so from its first byte). The last
/// <see cref="MostLines"/> lines are kept, numbered from the boot's first. Lines are cleaned like the folder
/// store's serial log (<see cref="SerialLog.SplitLines"/>).
/// </summary>
public sealed class SerialRecorder : IDisposable
{
    /// <summary>How many lines are kept; older ones are dropped (their numbers are not reused).</summary>
    public const int MostLines = 50_000;

    private readonly object _gate = new();
    private readonly List<string> _lines = new();
    private readonly StringBuilder _partial = new();
    private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
    private readonly LibvirtConsole _console;
    private int _dropped;
    private bool _ended;

    /// <param name="console">The open console; the recorder owns it from now on.</param>
    /// <param name="domainId">The running domain's id (virDomainGetID), which names this boot.</param>
    public SerialRecorder(LibvirtConsole console, int? domainId)
    {
        _console = console;
        DomainId = domainId;
        _ = Task.Run(PumpAsync);
    }

    /// <summary>The id the domain had in the boot this recorder records.</summary>
    public int? DomainId { get; }

    /// <summary>True once the stream ended: the domain stopped, or another client forced the console away.</summary>
    public bool Ended
    {
        get
        {
            lock (_gate)
            {
                return _ended;
            }
        }
    }

    /// <summary>The lines so far (complete ones, then the incomplete last one when there is one); the last <paramref name="tail"/> when given.</summary>
    public IReadOnlyList<string> Lines(int? tail = null)
    {
        lock (_gate)
        {
            var all = _partial.Length > 0 ? _lines.Append(Clean(_partial.ToString())).ToList() : _lines.ToList();
            return tail is { } t && all.Count > t ? all.Skip(all.Count - Math.Max(0, t)).ToArray() : all;
        }
    }

    /// <summary>A reader of the lines from the start of the boot, or (<paramref name="fromEnd"/>) of those printed from now on.</summary>
    public ISerialFollower Follow(bool fromEnd)
    {
        lock (_gate)
        {
            return new Cursor(this, fromEnd ? _dropped + _lines.Count : 0);
        }
    }

    /// <summary>Stops reading and closes the console, so other clients (virsh console) may open it.</summary>
    public void Dispose() => _console.Dispose();

    private async Task PumpAsync()
    {
        try
        {
            while (await _console.ReadAsync().ConfigureAwait(false) is { } chunk)
            {
                Append(chunk);
            }
        }
        catch (Exception)
        {
            // A broken stream ends the recording like a stopped domain does; the waits then read the domain's state.
        }
        finally
        {
            lock (_gate)
            {
                _ended = true;
            }
        }
    }

    private void Append(byte[] chunk)
    {
        var chars = new char[_decoder.GetCharCount(chunk, 0, chunk.Length)];
        _decoder.GetChars(chunk, 0, chunk.Length, chars, 0);
        lock (_gate)
        {
            foreach (var c in chars)
            {
                if (c == '\n')
                {
                    _lines.Add(Clean(_partial.ToString()));
                    _partial.Clear();
                }
                else
                {
                    _partial.Append(c);
                }
            }

            if (_lines.Count > MostLines)
            {
                var excess = _lines.Count - MostLines;
                _lines.RemoveRange(0, excess);
                _dropped += excess;
            }
        }
    }

    private static string Clean(string line) => SerialLog.SplitLines(line).FirstOrDefault() ?? string.Empty;

    private sealed class Cursor : ISerialFollower
    {
        private readonly SerialRecorder _recorder;
        private int _next;

        public Cursor(SerialRecorder recorder, int next)
        {
            _recorder = recorder;
            _next = next;
        }

        public IReadOnlyList<(int Number, string Text)> ReadNew()
        {
            lock (_recorder._gate)
            {
                var result = new List<(int, string)>();
                var end = _recorder._dropped + _recorder._lines.Count;
                for (var i = Math.Max(_next, _recorder._dropped); i < end; i++)
                {
                    result.Add((i + 1, _recorder._lines[i - _recorder._dropped]));
                }

                _next = end;
                return result;
            }
        }

        public string Pending
        {
            get
            {
                lock (_recorder._gate)
                {
                    return Clean(_recorder._partial.ToString());
                }
            }
        }

        public int PendingLineNumber
        {
            get
            {
                lock (_recorder._gate)
                {
                    return _recorder._dropped + _recorder._lines.Count + 1;
                }
            }
        }
    }
}

/// <summary>
/// The serial recorders of this process, one per domain (by connection URI and UUID): the one of the boot this
/// process started. A later start replaces it; it is dropped when the domain is undefined.
/// </summary>
public sealed class SerialRecorders
{
    private readonly object _gate = new();
    private readonly Dictionary<(string Uri, Guid Uuid), SerialRecorder> _recorders = new();

    /// <summary>The process's recorders, which every command's context uses unless given others.</summary>
    public static SerialRecorders Shared { get; } = new();

    /// <summary>Keeps <paramref name="recorder"/> as the domain's, closing the one of an earlier boot.</summary>
    public void Add(string uri, Guid uuid, SerialRecorder recorder)
    {
        SerialRecorder? old;
        lock (_gate)
        {
            _recorders.Remove((uri, uuid), out old);
            _recorders[(uri, uuid)] = recorder;
        }

        old?.Dispose();
    }

    /// <summary>
    /// The recorder of the domain's current boot (its id is <paramref name="domainId"/>), or of its last boot when it
    /// is stopped (<paramref name="domainId"/> null); null when this process recorded neither.
    /// </summary>
    public SerialRecorder? Find(string uri, Guid uuid, int? domainId)
    {
        lock (_gate)
        {
            return _recorders.TryGetValue((uri, uuid), out var recorder) && (domainId is null || recorder.DomainId == domainId) ? recorder : null;
        }
    }

    /// <summary>Closes and forgets the domain's recorder, if any.</summary>
    public void Remove(string uri, Guid uuid)
    {
        SerialRecorder? old;
        lock (_gate)
        {
            _recorders.Remove((uri, uuid), out old);
        }

        old?.Dispose();
    }
}
