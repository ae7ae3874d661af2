using System.Globalization;
using System.Text.Json.Nodes;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Qmp;

namespace HeadlessVm.Core.Folder;

/// <summary>The QMP side of checkpoints: the disks' block nodes, and running a snapshot job to its end.</summary>
public sealed partial class Checkpoints
{
    /// <summary>
    /// The format node of each disk in <paramref name="paths"/>, in that order, from query-block (each device's
    /// inserted.file and inserted.node-name; qapi/block-core.json). The VM's -drive options give no node names, so
    /// qemu's generated ones ("#block123") are used; they hold for the life of the qemu process.
    /// </summary>
    private static string[] NodeNames(QmpClient qmp, string name, IReadOnlyList<string> paths)
    {
        var devices = (qmp.Execute("query-block") as JsonArray ?? new JsonArray()).OfType<JsonObject>()
            .Select(d => d["inserted"] as JsonObject).OfType<JsonObject>()
            .Select(i => (File: i["file"]?.GetValue<string>(), Node: i["node-name"]?.GetValue<string>()))
            .ToArray();
        return paths.Select(path => devices.FirstOrDefault(d => d.File == path).Node
            ?? throw HeadlessVmErrors.SnapshotJobFailed(name, "query-block", string.Empty, $"qemu has no block device for disk '{path}'")).ToArray();
    }

    /// <summary>
    /// Starts snapshot job <paramref name="command"/> and waits, with progress, until it concludes (query-jobs; a job
    /// is "concluded" when done, with "error" set when it failed), then dismisses it. SnapshotJobFailed with qemu's
    /// error, SnapshotTimeout after <see cref="JobTimeout"/>; cancelling stops the waiting, and the job goes on in qemu.
    /// QEMU 7.2 runs the job in its main loop, right after it takes the command and before it sends the answer: the
    /// monitor is silent for the whole save or load, so a QMP answer that does not come in time is the job outlasting the wait.
    /// </summary>
    private void RunJob(QmpClient qmp, string name, string command, string snapshot, JsonObject arguments, CancellationToken cancellationToken)
    {
        var id = $"hvm-{command}-{Guid.NewGuid().ToString("N")[..8]}";
        arguments["job-id"] = id;
        var timeout = JobTimeout;
        var verb = command switch { "snapshot-save" => "Saving", "snapshot-load" => "Loading", _ => "Deleting" };
        using var countdown = new Countdown(_host, $"{verb} snapshot '{snapshot}' of VM '{name}'", $"qemu {command}", DateTime.UtcNow + timeout);
        JsonNode? Answer(string what, object? with)
        {
            try
            {
                return qmp.Execute(what, with);
            }
            catch (TimeoutException) when (!cancellationToken.IsCancellationRequested)
            {
                throw HeadlessVmErrors.SnapshotTimeout(name, command, snapshot, timeout);
            }
        }

        try
        {
            Answer(command, arguments);
        }
        catch (QmpException ex)
        {
            throw HeadlessVmErrors.SnapshotJobFailed(name, command, snapshot, ex.Description);
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var job = (Answer("query-jobs", null) as JsonArray ?? new JsonArray()).OfType<JsonObject>().FirstOrDefault(j => j["id"]?.GetValue<string>() == id)
                ?? throw HeadlessVmErrors.SnapshotJobFailed(name, command, snapshot, $"qemu no longer lists job '{id}'");
            var status = job["status"]?.GetValue<string>();
            if (status is "concluded" or "null")
            {
                var error = job["error"]?.GetValue<string>();
                try
                {
                    qmp.Execute("job-dismiss", new { id });
                }
                catch (QmpException ex)
                {
                    _host.Debug($"job-dismiss {id}: {ex.Description}");
                }

                if (error is not null)
                {
                    throw HeadlessVmErrors.SnapshotJobFailed(name, command, snapshot, error);
                }

                return;
            }

            if (countdown.Expired)
            {
                throw HeadlessVmErrors.SnapshotTimeout(name, command, snapshot, timeout);
            }

            var done = job["current-progress"]?.GetValue<long>() ?? 0;
            var total = job["total-progress"]?.GetValue<long>() ?? 0;
            countdown.Tick(total > 0 ? string.Create(CultureInfo.InvariantCulture, $"qemu {command}: {status}, {done} of {total}") : $"qemu {command}: {status}");
            cancellationToken.WaitHandle.WaitOne(Poll);
        }
    }
}
