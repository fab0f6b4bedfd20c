using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.NuGet.Archives;

/// <summary>
/// Reads a zip archive under an exact-layout rule (threat model N-04, N-05): one unambiguous end record at the very end,
/// a central directory that ends where that record starts, and local entries laid out back to back from offset 0 up to
/// the central directory, each agreeing field by field with its central record. Every byte belongs to one structure.
/// </summary>
internal sealed class StrictZipArchive
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private StrictZipArchive(IReadOnlyList<ZipEntryRecord> entries, long centralDirectoryOffset)
    {
        Entries = entries;
        CentralDirectoryOffset = centralDirectoryOffset;
    }

    /// <summary>Entries in central directory order.</summary>
    public IReadOnlyList<ZipEntryRecord> Entries { get; }

    public long CentralDirectoryOffset { get; }

    public static StrictZipArchive Read(Stream stream, ArchiveLimits limits)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(limits);
        var length = stream.Length;
        if (length < ZipConstants.EndOfCentralDirectorySize)
        {
            throw Fail(PackageCodes.MalformedArchive, "the file is too short to be a zip archive");
        }

        if (length > limits.MaxArchiveBytes)
        {
            throw Fail(PackageCodes.ArchiveLimitExceeded, $"the file is {length} bytes, more than the {limits.MaxArchiveBytes} allowed");
        }

        var eocdOffset = FindEndOfCentralDirectory(stream, length);
        var eocd = ReadExactly(stream, eocdOffset, ZipConstants.EndOfCentralDirectorySize);
        var diskNumber = BinaryPrimitives.ReadUInt16LittleEndian(eocd.AsSpan(4));
        var centralDirectoryDisk = BinaryPrimitives.ReadUInt16LittleEndian(eocd.AsSpan(6));
        var entriesOnDisk = BinaryPrimitives.ReadUInt16LittleEndian(eocd.AsSpan(8));
        var totalEntries = BinaryPrimitives.ReadUInt16LittleEndian(eocd.AsSpan(10));
        var centralDirectorySize = BinaryPrimitives.ReadUInt32LittleEndian(eocd.AsSpan(12));
        var centralDirectoryOffset = BinaryPrimitives.ReadUInt32LittleEndian(eocd.AsSpan(16));

        if (eocdOffset >= 20 && ReadUInt32(stream, eocdOffset - 20) == ZipConstants.Zip64LocatorSignature
            || totalEntries == ushort.MaxValue || centralDirectorySize == uint.MaxValue || centralDirectoryOffset == uint.MaxValue)
        {
            throw Fail(PackageCodes.UnsupportedArchiveFeature, "the archive uses Zip64, which signed NuGet packages do not support");
        }

        if (diskNumber != 0 || centralDirectoryDisk != 0 || entriesOnDisk != totalEntries)
        {
            throw Fail(PackageCodes.UnsupportedArchiveFeature, "the archive spans several disks");
        }

        if ((long)centralDirectoryOffset + centralDirectorySize != eocdOffset)
        {
            throw Fail(PackageCodes.UnaccountedBytes, "there are bytes between the central directory and the end record, or the central directory overlaps it");
        }

        if (totalEntries > limits.MaxEntries)
        {
            throw Fail(PackageCodes.ArchiveLimitExceeded, $"the archive has {totalEntries} entries, more than the {limits.MaxEntries} allowed");
        }

        var centralDirectory = ReadExactly(stream, centralDirectoryOffset, checked((int)centralDirectorySize));
        var entries = ParseCentralDirectory(centralDirectory, totalEntries, limits);
        CheckLocalHeaders(stream, entries, centralDirectoryOffset);
        return new StrictZipArchive(entries, centralDirectoryOffset);
    }

    /// <summary>Decompresses one entry, checking its exact size and CRC (a lying header fails here, N-04/N-05).</summary>
    public byte[] ReadEntry(Stream stream, ZipEntryRecord entry)
    {
        using var output = new MemoryStream(checked((int)Math.Min(entry.UncompressedSize, int.MaxValue)));
        CopyEntry(stream, entry, output);
        return output.ToArray();
    }

    /// <summary>Streams an entry's content to <paramref name="destination"/> (null: only checks it).</summary>
    public static void CopyEntry(Stream stream, ZipEntryRecord entry, Stream? destination)
    {
        stream.Seek(entry.DataOffset, SeekOrigin.Begin);
        using var raw = new BoundedReadStream(stream, entry.CompressedSize);
        using Stream content = entry.CompressionMethod == ZipConstants.MethodDeflate
            ? new DeflateStream(raw, CompressionMode.Decompress, leaveOpen: true)
            : raw;
        var buffer = new byte[81920];
        long total = 0;
        uint crc = 0;
        int read;
        try
        {
            while ((read = content.Read(buffer, 0, buffer.Length)) > 0)
            {
                total += read;
                if (total > entry.UncompressedSize)
                {
                    throw Fail(PackageCodes.ArchiveLimitExceeded, $"entry '{entry.Name}' expands beyond its declared size");
                }

                crc = Crc32.Append(crc, buffer.AsSpan(0, read));
                destination?.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException ex)
        {
            throw Fail(PackageCodes.MalformedArchive, $"entry '{entry.Name}' has corrupt compressed data", ex);
        }

        if (total != entry.UncompressedSize || crc != entry.Crc32)
        {
            throw Fail(PackageCodes.ArchiveLimitExceeded, $"entry '{entry.Name}' does not match its declared size or CRC");
        }
    }

    private static long FindEndOfCentralDirectory(Stream stream, long length)
    {
        var tailLength = (int)Math.Min(length, ZipConstants.EndOfCentralDirectorySize + ushort.MaxValue);
        var tailStart = length - tailLength;
        var tail = ReadExactly(stream, tailStart, tailLength);
        var candidates = new List<int>();
        var anySignature = false;
        for (var i = tailLength - ZipConstants.EndOfCentralDirectorySize; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) != ZipConstants.EndOfCentralDirectorySignature)
            {
                continue;
            }

            anySignature = true;
            var commentLength = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(i + 20));
            if (i + ZipConstants.EndOfCentralDirectorySize + commentLength == tailLength)
            {
                candidates.Add(i);
            }
        }

        if (candidates.Count == 0)
        {
            throw anySignature
                ? Fail(PackageCodes.UnaccountedBytes, "the end-of-central-directory record is not at the end of the file (trailing data)")
                : Fail(PackageCodes.MalformedArchive, "no end-of-central-directory record was found");
        }

        if (candidates.Count > 1)
        {
            throw Fail(PackageCodes.UnaccountedBytes, "the end-of-central-directory record is ambiguous (a comment contains another one)");
        }

        var comment = tail.AsSpan(candidates[0] + ZipConstants.EndOfCentralDirectorySize);
        if (comment.IndexOf("PK"u8) >= 0)
        {
            throw Fail(PackageCodes.UnaccountedBytes, "the archive comment contains zip record signatures");
        }

        return tailStart + candidates[0];
    }

    private static List<ZipEntryRecord> ParseCentralDirectory(byte[] directory, int count, ArchiveLimits limits)
    {
        var entries = new List<ZipEntryRecord>(count);
        var position = 0;
        long totalUncompressed = 0;
        for (var index = 0; index < count; index++)
        {
            if (position + ZipConstants.CentralDirectoryHeaderSize > directory.Length)
            {
                throw Fail(PackageCodes.MalformedArchive, "the central directory is shorter than its entry count says");
            }

            var header = directory.AsSpan(position);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != ZipConstants.CentralDirectorySignature)
            {
                throw Fail(PackageCodes.MalformedArchive, $"central directory record {index} has a bad signature");
            }

            var versionMadeBy = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
            var method = BinaryPrimitives.ReadUInt16LittleEndian(header[10..]);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
            var compressedSize = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
            var uncompressedSize = BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
            var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[30..]);
            var commentLength = BinaryPrimitives.ReadUInt16LittleEndian(header[32..]);
            var diskStart = BinaryPrimitives.ReadUInt16LittleEndian(header[34..]);
            var externalAttributes = BinaryPrimitives.ReadUInt32LittleEndian(header[38..]);
            var localHeaderOffset = BinaryPrimitives.ReadUInt32LittleEndian(header[42..]);
            var recordLength = ZipConstants.CentralDirectoryHeaderSize + nameLength + extraLength + commentLength;
            if (position + recordLength > directory.Length)
            {
                throw Fail(PackageCodes.MalformedArchive, $"central directory record {index} runs past the directory");
            }

            var rawName = directory.AsSpan(position + ZipConstants.CentralDirectoryHeaderSize, nameLength).ToArray();
            var extra = directory.AsSpan(position + ZipConstants.CentralDirectoryHeaderSize + nameLength, extraLength);
            CheckFeatures(flags, method, extra, compressedSize, uncompressedSize, diskStart, index);
            var name = DecodeName(rawName, flags, index);

            totalUncompressed += uncompressedSize;
            if (totalUncompressed > limits.MaxTotalUncompressedBytes)
            {
                throw Fail(PackageCodes.ArchiveLimitExceeded, "the archive expands to more than the allowed total size");
            }

            if (uncompressedSize > limits.RatioCheckThreshold
                && uncompressedSize / Math.Max(1L, compressedSize) > limits.MaxCompressionRatio)
            {
                throw Fail(PackageCodes.ArchiveLimitExceeded, $"entry '{name}' has an extreme compression ratio");
            }

            entries.Add(new ZipEntryRecord
            {
                Name = name,
                RawName = rawName,
                VersionMadeBy = versionMadeBy,
                Flags = flags,
                CompressionMethod = method,
                Crc32 = crc,
                CompressedSize = compressedSize,
                UncompressedSize = uncompressedSize,
                ExternalAttributes = externalAttributes,
                CentralExtraLength = extraLength,
                LocalHeaderOffset = localHeaderOffset,
            });
            position += recordLength;
        }

        if (position != directory.Length)
        {
            throw Fail(PackageCodes.UnaccountedBytes, "the central directory holds bytes beyond its records");
        }

        return entries;
    }

    private static void CheckFeatures(ushort flags, ushort method, ReadOnlySpan<byte> extra, uint compressedSize, uint uncompressedSize, ushort diskStart, int index)
    {
        if ((flags & (ZipConstants.FlagEncrypted | ZipConstants.FlagStrongEncryption | ZipConstants.FlagMaskedHeader)) != 0)
        {
            throw Fail(PackageCodes.UnsupportedArchiveFeature, $"entry {index} is encrypted");
        }

        if (method != ZipConstants.MethodStored && method != ZipConstants.MethodDeflate)
        {
            throw Fail(PackageCodes.UnsupportedArchiveFeature, $"entry {index} uses compression method {method}; only stored and deflate are allowed");
        }

        if (method == ZipConstants.MethodStored && compressedSize != uncompressedSize)
        {
            throw Fail(PackageCodes.HeaderMismatch, $"entry {index} is stored but its compressed and uncompressed sizes differ");
        }

        if (diskStart != 0)
        {
            throw Fail(PackageCodes.UnsupportedArchiveFeature, $"entry {index} starts on another disk");
        }

        if (HasZip64Extra(extra) || compressedSize == uint.MaxValue || uncompressedSize == uint.MaxValue)
        {
            throw Fail(PackageCodes.UnsupportedArchiveFeature, $"entry {index} uses Zip64 fields, which signed NuGet packages do not support");
        }
    }

    private static bool HasZip64Extra(ReadOnlySpan<byte> extra)
    {
        while (extra.Length >= 4)
        {
            var tag = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            var size = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (tag == ZipConstants.Zip64ExtraFieldTag)
            {
                return true;
            }

            if (4 + size > extra.Length)
            {
                throw Fail(PackageCodes.MalformedArchive, "an extra field runs past its record");
            }

            extra = extra[(4 + size)..];
        }

        if (!extra.IsEmpty)
        {
            throw Fail(PackageCodes.MalformedArchive, "an extra field is truncated");
        }

        return false;
    }

    private static string DecodeName(byte[] rawName, ushort flags, int index)
    {
        if (rawName.Length == 0)
        {
            throw Fail(PackageCodes.InvalidEntryName, $"entry {index} has an empty name");
        }

        // Without the UTF-8 flag the code page is ambiguous (CP437 or UTF-8 depending on the reader): accept ASCII only,
        // so every reader sees the same name (N-03).
        if ((flags & ZipConstants.FlagUtf8) == 0 && rawName.Any(b => b >= 0x80))
        {
            throw Fail(PackageCodes.InvalidEntryName, $"entry {index} has a non-ASCII name without the UTF-8 flag");
        }

        string name;
        try
        {
            name = StrictUtf8.GetString(rawName);
        }
        catch (DecoderFallbackException ex)
        {
            throw Fail(PackageCodes.InvalidEntryName, $"entry {index} has a name that is not valid UTF-8", ex);
        }

        if (name.Any(char.IsControl))
        {
            throw Fail(PackageCodes.InvalidEntryName, $"entry {index} has control characters in its name");
        }

        return name;
    }

    private static void CheckLocalHeaders(Stream stream, List<ZipEntryRecord> entries, long centralDirectoryOffset)
    {
        var byOffset = entries.OrderBy(e => e.LocalHeaderOffset).ToList();
        long expectedOffset = 0;
        foreach (var entry in byOffset)
        {
            if (entry.LocalHeaderOffset != expectedOffset)
            {
                throw entry.LocalHeaderOffset > expectedOffset
                    ? Fail(PackageCodes.UnaccountedBytes, $"there are unaccounted bytes before entry '{entry.Name}'")
                    : Fail(PackageCodes.HeaderMismatch, $"entry '{entry.Name}' overlaps the previous entry");
            }

            if (entry.LocalHeaderOffset + ZipConstants.LocalFileHeaderSize > centralDirectoryOffset)
            {
                throw Fail(PackageCodes.HeaderMismatch, $"entry '{entry.Name}' points into the central directory");
            }

            var header = ReadExactly(stream, entry.LocalHeaderOffset, ZipConstants.LocalFileHeaderSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != ZipConstants.LocalFileHeaderSignature)
            {
                throw Fail(PackageCodes.HeaderMismatch, $"entry '{entry.Name}' does not point to a local file header");
            }

            var flags = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(6));
            var method = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(8));
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(14));
            var compressedSize = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(18));
            var uncompressedSize = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(22));
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(26));
            var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(28));

            if (flags != entry.Flags || method != entry.CompressionMethod)
            {
                throw Fail(PackageCodes.HeaderMismatch, $"entry '{entry.Name}' has different flags or compression in its local header");
            }

            var localName = ReadExactly(stream, entry.LocalHeaderOffset + ZipConstants.LocalFileHeaderSize, nameLength);
            if (!localName.AsSpan().SequenceEqual(entry.RawName))
            {
                throw Fail(PackageCodes.HeaderMismatch, $"entry '{entry.Name}' has a different name in its local header");
            }

            var localExtra = ReadExactly(stream, entry.LocalHeaderOffset + ZipConstants.LocalFileHeaderSize + nameLength, extraLength);
            if (HasZip64Extra(localExtra))
            {
                throw Fail(PackageCodes.UnsupportedArchiveFeature, $"entry '{entry.Name}' uses Zip64 fields in its local header");
            }

            var descriptorFieldsZero = crc == 0 && compressedSize == 0 && uncompressedSize == 0;
            var fieldsAgree = crc == entry.Crc32 && compressedSize == entry.CompressedSize && uncompressedSize == entry.UncompressedSize;
            if (!fieldsAgree && !(entry.HasDataDescriptor && descriptorFieldsZero))
            {
                throw Fail(PackageCodes.HeaderMismatch, $"entry '{entry.Name}' has a different CRC or size in its local header");
            }

            entry.LocalExtraLength = extraLength;
            entry.DataOffset = entry.LocalHeaderOffset + ZipConstants.LocalFileHeaderSize + nameLength + extraLength;
            var end = entry.DataOffset + entry.CompressedSize;
            if (end > centralDirectoryOffset)
            {
                throw Fail(PackageCodes.HeaderMismatch, $"entry '{entry.Name}' runs into the central directory");
            }

            if (entry.HasDataDescriptor)
            {
                end = CheckDataDescriptor(stream, entry, end, centralDirectoryOffset);
            }

            expectedOffset = end;
        }

        if (expectedOffset != centralDirectoryOffset)
        {
            throw Fail(PackageCodes.UnaccountedBytes, "there are unaccounted bytes before the central directory");
        }
    }

    private static long CheckDataDescriptor(Stream stream, ZipEntryRecord entry, long position, long limit)
    {
        if (position + 12 > limit)
        {
            throw Fail(PackageCodes.HeaderMismatch, $"entry '{entry.Name}' has a truncated data descriptor");
        }

        var hasSignature = ReadUInt32(stream, position) == ZipConstants.DataDescriptorSignature
            && position + 16 <= limit;
        var fieldsStart = hasSignature ? position + 4 : position;
        var fields = ReadExactly(stream, fieldsStart, 12);
        if (BinaryPrimitives.ReadUInt32LittleEndian(fields) != entry.Crc32
            || BinaryPrimitives.ReadUInt32LittleEndian(fields.AsSpan(4)) != entry.CompressedSize
            || BinaryPrimitives.ReadUInt32LittleEndian(fields.AsSpan(8)) != entry.UncompressedSize)
        {
            throw Fail(PackageCodes.HeaderMismatch, $"entry '{entry.Name}' has a data descriptor that disagrees with the central directory");
        }

        return fieldsStart + 12;
    }

    private static uint ReadUInt32(Stream stream, long offset) =>
        BinaryPrimitives.ReadUInt32LittleEndian(ReadExactly(stream, offset, 4));

    private static byte[] ReadExactly(Stream stream, long offset, int count)
    {
        if (offset < 0 || offset + count > stream.Length)
        {
            throw Fail(PackageCodes.MalformedArchive, "a record points outside the file");
        }

        var buffer = new byte[count];
        stream.Seek(offset, SeekOrigin.Begin);
        stream.ReadExactly(buffer);
        return buffer;
    }

    internal static SigstoreException Fail(string code, string what, Exception? inner = null) =>
        new(code, $"The package is not a safe NuGet archive: {what}. Rebuild it with dotnet pack, or do not use it.", inner);

    /// <summary>A read-only window over a part of the archive, so a decompressor cannot read past its entry.</summary>
    private sealed class BoundedReadStream(Stream inner, long length) : Stream
    {
        private long _remaining = length;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_remaining <= 0)
            {
                return 0;
            }

            var read = inner.Read(buffer, offset, (int)Math.Min(count, _remaining));
            _remaining -= read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
