using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HeadlessVm.Core.Qmp;

/// <summary>qemu answered a QMP command with an error.</summary>
public sealed class QmpException : Exception
{
    public QmpException(string command, string errorClass, string description)
        : base($"qemu refused '{command}': {description}")
    {
        Command = command;
        ErrorClass = errorClass;
        Description = description;
    }

    public string Command { get; }
    public string ErrorClass { get; }
    public string Description { get; }
}

/// <summary>
/// A QMP connection over the VM's unix socket: greeting, capabilities negotiation, then commands.
/// Messages are one JSON object per line; events may arrive between a command and its answer and are kept in <see cref="Events"/>.
/// </summary>
public sealed class QmpClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private readonly Action<string>? _trace;
    private readonly List<JsonObject> _events = new();
    private int _nextId;

    private QmpClient(Socket socket, Action<string>? trace)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, new UTF8Encoding(false));
        _trace = trace;
    }

    public IReadOnlyList<JsonObject> Events => _events;

    public JsonObject? Greeting { get; private set; }

    /// <summary>Connects, reads the greeting and leaves capabilities negotiation mode.</summary>
    public static QmpClient Connect(string socketPath, TimeSpan timeout, Action<string>? trace = null, CancellationToken cancellationToken = default)
    {
        var client = Open(socketPath, timeout, trace, cancellationToken);
        try
        {
            client.ReadGreeting();
            client.Execute("qmp_capabilities");
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The VM's run state ("running", "paused", ...) in one round trip: qemu reads commands only after
    /// it has sent its greeting, so capabilities negotiation and the query go out with the connection,
    /// and the three answers come back together. This is what listing many VMs is made of.
    /// </summary>
    public static string? QueryStatus(string socketPath, TimeSpan timeout, Action<string>? trace = null) =>
        ExecuteOnce(socketPath, timeout, trace, CancellationToken.None, "query-status", null)?["status"]?.GetValue<string>();

    /// <summary>One command on a connection of its own, in one round trip (see <see cref="QueryStatus"/>); returns its "return" value.</summary>
    public static JsonNode? ExecuteOnce(string socketPath, TimeSpan timeout, Action<string>? trace, CancellationToken cancellationToken, string command, object? arguments)
    {
        using var client = Open(socketPath, timeout, trace, cancellationToken);
        var negotiate = client.Send("qmp_capabilities", null);
        var id = client.Send(command, arguments);
        client.ReadGreeting();
        client.Await(negotiate, "qmp_capabilities");
        return client.Await(id, command);
    }

    private static QmpClient Open(string socketPath, TimeSpan timeout, Action<string>? trace, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                cts.CancelAfter(timeout);
                socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cts.Token).AsTask().GetAwaiter().GetResult();
            }

            socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
            socket.SendTimeout = (int)timeout.TotalMilliseconds;
            return new QmpClient(socket, trace);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"QMP socket {socketPath} did not accept a connection within {timeout.TotalSeconds:0.#} s.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void ReadGreeting()
    {
        var greeting = ReadMessage();
        if (greeting["QMP"] is null)
        {
            throw new IOException($"Not a QMP greeting: {greeting.ToJsonString()}");
        }

        Greeting = greeting;
    }

    /// <summary>Runs a command and returns its "return" value; a QMP error becomes a <see cref="QmpException"/>.</summary>
    public JsonNode? Execute(string command, object? arguments = null) => Await(Send(command, arguments), command);

    private string Send(string command, object? arguments)
    {
        var id = $"hvm-{++_nextId}";
        var message = new JsonObject { ["execute"] = command };
        if (arguments is not null)
        {
            message["arguments"] = arguments as JsonNode ?? JsonSerializer.SerializeToNode(arguments);
        }

        message["id"] = id;
        var text = message.ToJsonString();
        _trace?.Invoke("QMP -> " + command switch
        {
            "set_password" => MaskPassword(message),
            "send-key" => MaskKeys(message),
            _ => text,
        });
        var bytes = Encoding.UTF8.GetBytes(text + "\n");
        _stream.Write(bytes);
        _stream.Flush();
        return id;
    }

    private JsonNode? Await(string id, string command)
    {
        while (true)
        {
            var reply = ReadMessage();
            if (reply["event"] is not null)
            {
                _events.Add(reply);
                continue;
            }

            if (reply["id"]?.GetValue<string>() != id)
            {
                continue;
            }

            if (reply["error"] is JsonObject error)
            {
                throw new QmpException(command,
                    error["class"]?.GetValue<string>() ?? "GenericError",
                    error["desc"]?.GetValue<string>() ?? error.ToJsonString());
            }

            return reply["return"];
        }
    }

    /// <summary>Waits for the next event named <paramref name="name"/> (or any when null), up to the socket timeout.</summary>
    public JsonObject WaitForEvent(string? name)
    {
        var seen = _events.FindIndex(e => name is null || e["event"]?.GetValue<string>() == name);
        if (seen >= 0)
        {
            var found = _events[seen];
            _events.RemoveAt(seen);
            return found;
        }

        while (true)
        {
            var message = ReadMessage();
            if (message["event"] is JsonNode ev && (name is null || ev.GetValue<string>() == name))
            {
                return message;
            }

            if (message["event"] is not null)
            {
                _events.Add(message);
            }
        }
    }

    private static string MaskPassword(JsonObject message)
    {
        var copy = JsonNode.Parse(message.ToJsonString())!.AsObject();
        if (copy["arguments"] is JsonObject args && args.ContainsKey("password"))
        {
            args["password"] = "********";
        }

        return copy.ToJsonString();
    }

    // Send-HeadlessVmKey -Text is how passwords are typed into a guest, one send-key per character,
    // so the trace shows how many keys went and how long they were held, never which.
    private static string MaskKeys(JsonObject message)
    {
        var copy = JsonNode.Parse(message.ToJsonString())!.AsObject();
        if (copy["arguments"] is JsonObject args && args["keys"] is JsonArray keys)
        {
            foreach (var key in keys.OfType<JsonObject>())
            {
                if (key.ContainsKey("data"))
                {
                    key["data"] = "*";
                }
            }
        }

        return copy.ToJsonString();
    }

    private JsonObject ReadMessage()
    {
        string? line;
        try
        {
            line = _reader.ReadLine();
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
        {
            throw new TimeoutException("qemu did not answer on its QMP socket in time.", ex);
        }

        if (line is null)
        {
            throw new IOException("qemu closed its QMP socket.");
        }

        _trace?.Invoke("QMP <- " + line);
        return JsonNode.Parse(line) as JsonObject ?? throw new IOException($"Not a QMP message: {line}");
    }

    /// <summary>Closes the socket from any thread, so that a read in progress on the owner's thread ends with an exception.</summary>
    public void Abort() => _socket.Dispose();

    public void Dispose()
    {
        _reader.Dispose();
        _stream.Dispose();
        _socket.Dispose();
    }
}
