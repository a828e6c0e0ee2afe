namespace Dsl.Runtime.Training
{
    /// <summary>
    /// A run's output file (checkpoint, metrics.csv, metrics.png) could not be written. The file it would have
    /// replaced is unchanged and no temporary file is left behind.
    /// </summary>
    public sealed class OutputWriteException : IOException
    {
        /// <summary>Creates the exception.</summary>
        public OutputWriteException(string path, Exception inner)
            : base($"Could not write {path}: {inner.Message} The previous {System.IO.Path.GetFileName(path)} (if any) is unchanged; " +
                   "free disk space or fix the folder's permissions, then resume the run.", inner)
        {
            Path = path;
        }

        /// <summary>The file that was being written.</summary>
        public string Path { get; }
    }

    /// <summary>
    /// Replaces a file all at once: the content goes to <c>path.tmp</c> in the same folder, is flushed to disk,
    /// and only then renamed over <c>path</c> (a rename within a folder is atomic). A crash at any point leaves
    /// either the old file or the new one, never a mix; a failure deletes the temp file and reports
    /// <see cref="OutputWriteException"/>.
    /// </summary>
    internal static class AtomicFile
    {
        /// <summary>Suffix of the temporary file.</summary>
        public const string TempSuffix = ".tmp";

        /// <summary>Replaces <paramref name="path"/> with what <paramref name="write"/> writes; <paramref name="filter"/> (tests) wraps the stream.</summary>
        public static void Write(string path, Action<Stream> write, Func<string, Stream, Stream>? filter = null)
        {
            string tmp = path + TempSuffix;
            try
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
                using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    var stream = filter is null ? file : filter(path, file);
                    write(stream);
                    stream.Flush();
                    file.Flush(flushToDisk: true);
                }
                File.Move(tmp, path, overwrite: true);
            }
            catch (Exception e)
            {
                try { File.Delete(tmp); } catch (Exception) { /* the original failure is what matters */ }
                if (e is IOException or UnauthorizedAccessException) throw new OutputWriteException(path, e);
                throw;
            }
        }
    }
}
