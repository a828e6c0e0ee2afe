using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Dsl.Runtime.Data;
using Xunit;

namespace Dsl.Runtime.Tests
{
    /// <summary>The opt-in downloader, against mirrors served on loopback (tests never reach the internet).</summary>
    public sealed class DownloadTests : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly string _prefix;
        private readonly Dictionary<string, byte[]> _files = new();
        private readonly List<string> _requests = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly string _folder = TestData.TempDir("download");

        public DownloadTests()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            _prefix = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(_prefix);
            _listener.Start();
            Task.Run(Serve);
            foreach (var name in Mnist.FileNames) _files[name] = Encoding.UTF8.GetBytes("content of " + name);
        }

        private async Task Serve()
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception) { return; }
                string path = context.Request.Url!.AbsolutePath;
                lock (_requests) _requests.Add(path);
                string name = Path.GetFileName(path);
                byte[]? body = !_files.TryGetValue(name, out var good) ? null
                    : path.StartsWith("/corrupt/", StringComparison.Ordinal) ? good.Concat(new byte[] { 1 }).ToArray()
                    : path.StartsWith("/good/", StringComparison.Ordinal) ? good : null;
                context.Response.StatusCode = body is null ? 404 : 200;
                if (body is not null) await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        }

        private Dictionary<string, string> Sums() =>
            _files.ToDictionary(f => f.Key, f => Convert.ToHexString(MD5.HashData(f.Value)).ToLowerInvariant());

        [Fact]
        public void A_corrupt_mirror_is_skipped_and_only_checksum_verified_files_are_written()
        {
            using var http = new HttpClient();
            var log = new StringWriter();
            Mnist.Download(_folder, new[] { _prefix + "corrupt/", _prefix + "good/" }, Sums(), http, log);

            foreach (var (name, content) in _files) Assert.Equal(content, File.ReadAllBytes(Path.Combine(_folder, name)));
            Assert.Empty(Directory.GetFiles(_folder, "*.part"));
            Assert.Contains($"train-images-idx3-ubyte.gz from {_prefix}corrupt/train-images-idx3-ubyte.gz has MD5", log.ToString());
        }

        [Fact]
        public void Files_already_present_with_the_right_checksum_are_not_fetched_again()
        {
            foreach (var (name, content) in _files) File.WriteAllBytes(Path.Combine(_folder, name), content);
            using var http = new HttpClient();
            Mnist.Download(_folder, new[] { _prefix + "good/" }, Sums(), http, null);
            lock (_requests) Assert.Empty(_requests);
        }

        [Fact]
        public void No_mirror_with_the_right_file_gives_an_error_naming_file_and_folder_and_writes_nothing()
        {
            using var http = new HttpClient();
            var e = Assert.Throws<IOException>(() => Mnist.Download(_folder, new[] { _prefix + "corrupt/", _prefix + "missing/" }, Sums(), http, null));
            Assert.Contains("Could not download train-images-idx3-ubyte.gz into " + Path.GetFullPath(_folder), e.Message);
            Assert.Empty(Directory.GetFiles(_folder));
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Close();
            if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
        }
    }
}
