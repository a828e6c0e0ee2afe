using System;
using System.IO;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// Wraps an output file's stream and, once <see cref="BytesBeforeFault"/> bytes are through, runs
    /// <see cref="Fault"/>: throw (a full disk) or pause (so a test can kill the process mid-write).
    /// </summary>
    internal sealed class FaultStream : Stream
    {
        private readonly Stream _inner;
        private readonly Action _fault;
        private long _written;
        private bool _faulted;

        public FaultStream(Stream inner, long bytesBeforeFault, Action fault)
        {
            _inner = inner;
            BytesBeforeFault = bytesBeforeFault;
            _fault = fault;
        }

        public long BytesBeforeFault { get; }

        /// <summary>Throws "No space left on device" as an <see cref="IOException"/>, like a full disk.</summary>
        public static Action DiskFull => () => throw new IOException("No space left on device (simulated).");

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (!_faulted && _written + buffer.Length >= BytesBeforeFault)
            {
                int first = (int)Math.Max(0, BytesBeforeFault - _written);
                _inner.Write(buffer[..first]);
                _inner.Flush();
                _written += first;
                buffer = buffer[first..];
                _faulted = true;
                _fault();
            }
            _inner.Write(buffer);
            _written += buffer.Length;
        }

        public override void Flush() => _inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _written;
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
