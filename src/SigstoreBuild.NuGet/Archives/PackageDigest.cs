using System.Security.Cryptography;
using System.Text;

namespace SigstoreBuild.NuGet.Archives;

/// <summary>
/// The package digest (docs/embedded-bundle.md): one manifest line <c>&lt;sha256 hex&gt;␠␠&lt;entry name&gt;\n</c> per
/// covered entry, sorted by the entry name's UTF-8 bytes, hashed with SHA-256 (the line format of Go's dirhash "h1").
/// Only contents and names count, so re-compressing or re-ordering the zip does not change it.
/// </summary>
internal sealed class PackageDigest
{
    private readonly List<(byte[] Name, byte[] Sha256)> _entries = [];

    /// <summary>A sink for one entry's uncompressed content; disposing it records the entry.</summary>
    public Stream Entry(string name) => new EntrySink(this, name);

    public byte[] Complete()
    {
        _entries.Sort((a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        using var manifest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, sha256) in _entries)
        {
            manifest.AppendData(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(sha256)));
            manifest.AppendData("  "u8);
            manifest.AppendData(name);
            manifest.AppendData("\n"u8);
        }

        return manifest.GetHashAndReset();
    }

    /// <summary>The manifest the digest is taken over, for docs and diagnostics.</summary>
    public string Manifest() => string.Concat(_entries
        .OrderBy(e => e.Name, Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b)))
        .Select(e => $"{Convert.ToHexStringLower(e.Sha256)}  {Encoding.UTF8.GetString(e.Name)}\n"));

    private sealed class EntrySink(PackageDigest owner, string name) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private bool _recorded;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => _hash.AppendData(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => _hash.AppendData(buffer);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_recorded)
            {
                _recorded = true;
                owner._entries.Add((Encoding.UTF8.GetBytes(name), _hash.GetHashAndReset()));
                _hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
