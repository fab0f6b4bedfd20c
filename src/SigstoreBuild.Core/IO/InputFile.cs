using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.IO;

/// <summary>
/// A kind of file a user names (a bundle, a trusted root, a key, an artifact): what messages call it, the most bytes it
/// may hold, what to check when it is the wrong file, and the codes for failing to read it.
/// </summary>
public sealed record InputKind(string Name, long MaxBytes, string Hint)
{
    /// <summary>The file is missing, a dangling link, a directory, or not readable.</summary>
    public string Code { get; init; } = SetupCodes.InputUnreadable;

    /// <summary>The file holds more than <see cref="MaxBytes"/>, or more than its own size says (a device, a growing file).</summary>
    public string TooLargeCode { get; init; } = SetupCodes.InputTooLarge;

    /// <summary>Artifacts and packages: any size, but never more than the file said it holds when opened.</summary>
    public static InputKind AnySize(string name) => new(name, long.MaxValue, string.Empty);
}

/// <summary>
/// The one way file inputs are read: bounded (never more than the kind allows, whatever the file claims, so
/// <c>/dev/zero</c> or a growing file stops at once) and with a coded error naming the path for every user mistake.
/// </summary>
public static class InputFile
{
    /// <summary>The cap for small JSON and PEM documents (keys, predicates, statements, policies, lock files), as for a bundle.</summary>
    public const long MaxDocumentBytes = 16 * 1024 * 1024;

    public static byte[] ReadAllBytes(string path, InputKind kind)
    {
        using var stream = OpenRead(path, kind);
        using var buffer = new MemoryStream(stream.ExpectedLength is { } length ? (int)Math.Min(length, int.MaxValue) : 0);
        stream.CopyTo(buffer);
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }

    public static string ReadAllText(string path, InputKind kind) => System.Text.Encoding.UTF8.GetString(ReadAllBytes(path, kind));

    /// <summary>Opens <paramref name="path"/> for one sequential read; reading past the kind's bound throws its coded error.</summary>
    public static BoundedFileStream OpenRead(string path, InputKind kind) => new(Open(path, kind), kind);

    /// <summary>
    /// Opens <paramref name="path"/> for random access (an archive reader), refusing a file larger than the kind allows.
    /// Prefer <see cref="OpenRead"/>, which also stops a device or a growing file.
    /// </summary>
    public static FileStream Open(string path, InputKind kind)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(kind);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw OpenFailure(path, kind, ex);
        }

        var name = file.Name;
        if (file.CanSeek && file.Length > kind.MaxBytes)
        {
            var length = file.Length;
            file.Dispose();
            throw new SigstoreException(kind.TooLargeCode, $"The {kind.Name} '{name}' is {length} bytes, more than the limit of {Size(kind.MaxBytes)}.{Hint(kind)}");
        }

        // An empty size with bytes behind it is a device such as /dev/zero: a random-access reader would not notice.
        if (file.CanSeek && file.Length == 0 && file.ReadByte() >= 0)
        {
            file.Dispose();
            throw Grown(name, kind, 0);
        }

        return file;
    }

    private static SigstoreException Grown(string path, InputKind kind, long size) =>
        new(kind.TooLargeCode, $"The {kind.Name} '{path}' gives more than the {size} bytes its size says, so it is a device or a file still being written. {(kind.Hint.Length > 0 ? kind.Hint : "Pass a complete, regular file.")}");

    private static string Hint(InputKind kind) => kind.Hint.Length == 0 ? string.Empty : " " + kind.Hint;

    private static string Size(long bytes) => bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB" : $"{bytes} bytes";

    private static SigstoreException OpenFailure(string path, InputKind kind, Exception ex)
    {
        // Exception messages are resource keys in trimmed builds, so say what happened ourselves.
        var full = Path.GetFullPath(path);
        string message;
        if (Directory.Exists(full))
        {
            message = $"The {kind.Name} '{full}' is a directory. Pass the path of the file itself.";
        }
        else if (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            message = new FileInfo(full).LinkTarget is { } target
                ? $"The {kind.Name} '{full}' is a symbolic link to '{target}', which does not exist. Fix the link, or pass the file it should point to."
                : $"The {kind.Name} '{full}' does not exist. Check the path.";
        }
        else if (ex is UnauthorizedAccessException)
        {
            message = $"The {kind.Name} '{full}' cannot be read: permission denied. Give this user read access to it (chmod u+r), or pass a readable copy.";
        }
        else
        {
            message = $"The {kind.Name} '{full}' cannot be read ({ex.GetType().Name}: {ex.Message}). Check that the path names a readable file (not a link loop or a device).";
        }

        return new SigstoreException(kind.Code, message, ex);
    }

    /// <summary>A read-once view of a file that refuses to yield more than its kind allows or than the file's size said.</summary>
    public sealed class BoundedFileStream : Stream
    {
        private readonly FileStream _file;
        private readonly string _path;
        private readonly InputKind _kind;
        private readonly long _limit;
        private long _read;

        internal BoundedFileStream(FileStream file, InputKind kind)
        {
            _file = file;
            _path = file.Name;
            _kind = kind;

            // A device (size 0, endless bytes) or a file still being written stops as soon as it yields more than its
            // size said; a pipe has no size, so only the kind's cap applies.
            ExpectedLength = file.CanSeek ? file.Length : null;
            _limit = Math.Min(kind.MaxBytes, ExpectedLength ?? long.MaxValue);
        }

        /// <summary>The size of a regular file when it was opened; null for a pipe.</summary>
        public long? ExpectedLength { get; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return Count(_file.Read(buffer));
            }
            catch (IOException ex)
            {
                throw OpenFailure(_path, _kind, ex);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return Count(await _file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));
            }
            catch (IOException ex)
            {
                throw OpenFailure(_path, _kind, ex);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _file.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Count(int read)
        {
            _read += read;
            if (_read <= _limit)
            {
                return read;
            }

            throw _limit < _kind.MaxBytes
                ? Grown(_path, _kind, _limit)
                : new SigstoreException(_kind.TooLargeCode, $"The {_kind.Name} '{_path}' holds more than the limit of {Size(_kind.MaxBytes)}.{Hint(_kind)}");
        }
    }
}
