using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;

namespace Dsl.Packaging.Tests
{
    /// <summary>
    /// A minimal Language Server Protocol client over stdio: JSON-RPC messages with Content-Length headers.
    /// It answers the server's requests the way an editor does (workspace/configuration returns the
    /// settings given to it) and queues every notification for the test to wait on.
    /// </summary>
    public sealed class LspClient : IDisposable
    {
        private readonly Process _process;
        private readonly Stream _input;
        private readonly object _writeGate = new();
        private readonly Thread _reader;
        private readonly JsonObject _settings;
        private readonly BlockingCollection<JsonObject> _notifications = new();
        private readonly ConcurrentDictionary<int, TaskCompletionSourceBox> _pending = new();
        private readonly StringBuilder _stderr = new();
        private int _nextId;

        /// <param name="settings">The "csharp" section answered to workspace/configuration.</param>
        public LspClient(ProcessStartInfo server, JsonObject settings)
        {
            _settings = settings;
            _process = Process.Start(server) ?? throw new InvalidOperationException("could not start " + server.FileName);
            _input = _process.StandardInput.BaseStream;
            _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
            _process.BeginErrorReadLine();
            _reader = new Thread(ReadLoop) { IsBackground = true, Name = "lsp-reader" };
            _reader.Start();
        }

        /// <summary>The server's log (stderr), for failure messages.</summary>
        public string ServerLog { get { lock (_stderr) return _stderr.ToString(); } }

        public JsonNode? Request(string method, JsonNode? parameters, TimeSpan timeout)
        {
            int id = Interlocked.Increment(ref _nextId);
            var box = new TaskCompletionSourceBox();
            _pending[id] = box;
            Write(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters });
            if (!box.Done.Wait(timeout)) throw new TimeoutException($"no answer to {method} within {timeout.TotalSeconds} s");
            if (box.Message!["error"] is JsonNode error) throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}");
            return box.Message["result"];
        }

        public void Notify(string method, JsonNode? parameters) =>
            Write(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters });

        /// <summary>Waits for a notification of <paramref name="method"/> that satisfies <paramref name="match"/>; others are dropped.</summary>
        public JsonObject? WaitFor(string method, Func<JsonObject, bool> match, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !_notifications.TryTake(out var message, left)) return null;
                if ((string?)message["method"] == method && match((JsonObject)message["params"]!)) return (JsonObject)message["params"]!;
            }
        }

        private void Write(JsonObject message)
        {
            byte[] body = Encoding.UTF8.GetBytes(message.ToJsonString());
            byte[] header = Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n");
            lock (_writeGate)
            {
                _input.Write(header);
                _input.Write(body);
                _input.Flush();
            }
        }

        private void ReadLoop()
        {
            var output = _process.StandardOutput.BaseStream;
            try
            {
                while (true)
                {
                    int length = -1;
                    string? line;
                    while ((line = ReadHeaderLine(output)) is { Length: > 0 })
                        if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(line.Substring(15).Trim());
                    if (line is null || length < 0) return;
                    byte[] body = new byte[length];
                    int read = 0;
                    while (read < length)
                    {
                        int n = output.Read(body, read, length - read);
                        if (n == 0) return;
                        read += n;
                    }
                    Dispatch((JsonObject)JsonNode.Parse(body)!);
                }
            }
            catch (IOException) { /* server gone */ }
            catch (ObjectDisposedException) { }
            finally { _notifications.CompleteAdding(); }
        }

        private void Dispatch(JsonObject message)
        {
            bool hasId = message.TryGetPropertyValue("id", out var idNode) && idNode is not null;
            string? method = (string?)message["method"];
            if (hasId && method is null)
            {
                if (_pending.TryRemove(idNode!.GetValue<int>(), out var box)) box.Set(message);
                return;
            }
            if (hasId)
            {
                // A request from the server: answer as an editor would.
                JsonNode? result = null;
                if (method == "workspace/configuration")
                {
                    var items = new JsonArray();
                    foreach (var _ in message["params"]!["items"]!.AsArray()) items.Add(_settings.DeepClone());
                    result = items;
                }
                Write(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = idNode!.DeepClone(), ["result"] = result });
                return;
            }
            if (!_notifications.IsAddingCompleted) _notifications.Add(message);
        }

        private static string? ReadHeaderLine(Stream stream)
        {
            var bytes = new List<byte>();
            while (true)
            {
                int b = stream.ReadByte();
                if (b < 0) return bytes.Count == 0 ? null : Encoding.ASCII.GetString(bytes.ToArray());
                if (b == '\n') return Encoding.ASCII.GetString(bytes.ToArray()).TrimEnd('\r');
                bytes.Add((byte)b);
            }
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    Request("shutdown", null, TimeSpan.FromSeconds(10));
                    Notify("exit", null);
                    _process.WaitForExit(5000);
                }
            }
            catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException) { }
            finally
            {
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
                _process.Dispose();
            }
        }

        private sealed class TaskCompletionSourceBox
        {
            public ManualResetEventSlim Done { get; } = new();
            public JsonObject? Message { get; private set; }
            public void Set(JsonObject message) { Message = message; Done.Set(); }
        }
    }
}
