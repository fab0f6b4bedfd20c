using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SigstoreBuild.NuGet.Tests.Infrastructure;

/// <summary>One entry of a hand-built archive; the Local* fields let a test make the local header lie.</summary>
internal sealed class TestZipEntry
{
    public required string Name { get; init; }
    public byte[] Data { get; init; } = [];
    public bool Deflate { get; init; } = true;
    public ushort Flags { get; init; }
    public uint ExternalAttributes { get; init; }
    public ushort VersionMadeBy { get; init; } = 20;
    public byte[]? RawName { get; init; }
    public string? LocalName { get; init; }
    public ushort? LocalMethod { get; init; }
    public uint? LocalCrc { get; init; }
    public uint? CentralCrc { get; init; }
    public uint? CentralUncompressedSize { get; init; }
    public byte[]? CentralExtra { get; init; }

    /// <summary>Point this entry's central record at another entry's local header (by index).</summary>
    public int? ShareLocalHeaderWith { get; init; }
}

/// <summary>Writes zip archives byte by byte so tests can build exactly the malformed layouts of threat rows N-02..N-06.</summary>
internal static class TestZip
{
    public static byte[] Build(IReadOnlyList<TestZipEntry> entries, byte[]? prefix = null, byte[]? beforeCentralDirectory = null,
        byte[]? comment = null, byte[]? suffix = null, bool zip64Locator = false)
    {
        using var output = new MemoryStream();
        output.Write(prefix ?? []);
        var offsets = new long[entries.Count];
        var compressed = new byte[entries.Count][];
        var crcs = new uint[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            compressed[i] = entry.Deflate ? Compress(entry.Data) : entry.Data;
            crcs[i] = Crc(entry.Data);
            if (entry.ShareLocalHeaderWith is not null)
            {
                continue;
            }

            offsets[i] = output.Position;
            var name = entry.LocalName is null ? NameBytes(entry) : Encoding.UTF8.GetBytes(entry.LocalName);
            WriteU32(output, 0x04034b50);
            WriteU16(output, 20);
            WriteU16(output, entry.Flags);
            WriteU16(output, entry.LocalMethod ?? (ushort)(entry.Deflate ? 8 : 0));
            WriteU32(output, 0);
            WriteU32(output, entry.LocalCrc ?? crcs[i]);
            WriteU32(output, (uint)compressed[i].Length);
            WriteU32(output, (uint)entry.Data.Length);
            WriteU16(output, (ushort)name.Length);
            WriteU16(output, 0);
            output.Write(name);
            output.Write(compressed[i]);
        }

        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].ShareLocalHeaderWith is { } shared)
            {
                offsets[i] = offsets[shared];
            }
        }

        output.Write(beforeCentralDirectory ?? []);
        var centralStart = output.Position;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var name = NameBytes(entry);
            var extra = entry.CentralExtra ?? [];
            WriteU32(output, 0x02014b50);
            WriteU16(output, entry.VersionMadeBy);
            WriteU16(output, 20);
            WriteU16(output, entry.Flags);
            WriteU16(output, (ushort)(entry.Deflate ? 8 : 0));
            WriteU32(output, 0);
            WriteU32(output, entry.CentralCrc ?? crcs[i]);
            WriteU32(output, (uint)compressed[i].Length);
            WriteU32(output, entry.CentralUncompressedSize ?? (uint)entry.Data.Length);
            WriteU16(output, (ushort)name.Length);
            WriteU16(output, (ushort)extra.Length);
            WriteU16(output, 0);
            WriteU16(output, 0);
            WriteU16(output, 0);
            WriteU32(output, entry.ExternalAttributes);
            WriteU32(output, (uint)offsets[i]);
            output.Write(name);
            output.Write(extra);
        }

        var centralEnd = output.Position;
        if (zip64Locator)
        {
            WriteU32(output, 0x07064b50);
            WriteU32(output, 0);
            WriteU32(output, 0);
            WriteU32(output, 0);
            WriteU32(output, 1);
        }

        comment ??= [];
        WriteU32(output, 0x06054b50);
        WriteU16(output, 0);
        WriteU16(output, 0);
        WriteU16(output, (ushort)entries.Count);
        WriteU16(output, (ushort)entries.Count);
        WriteU32(output, (uint)(centralEnd - centralStart));
        WriteU32(output, (uint)centralStart);
        WriteU16(output, (ushort)comment.Length);
        output.Write(comment);
        output.Write(suffix ?? []);
        return output.ToArray();
    }

    public static byte[] Nuspec(string id = "Contoso.Lib", string version = "1.0.0") =>
        Encoding.UTF8.GetBytes($"""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata>
                <id>{id}</id>
                <version>{version}</version>
                <authors>test</authors>
                <description>test package</description>
              </metadata>
            </package>
            """);

    /// <summary>A minimal valid package: nuspec plus one library file, optionally more entries.</summary>
    public static List<TestZipEntry> PackageEntries(string id = "Contoso.Lib", string version = "1.0.0", params TestZipEntry[] more)
    {
        var entries = new List<TestZipEntry>
        {
            new() { Name = $"{id}.nuspec", Data = Nuspec(id, version) },
            new() { Name = "lib/net10.0/Contoso.Lib.dll", Data = Encoding.UTF8.GetBytes("not really an assembly, but bytes") },
        };
        entries.AddRange(more);
        return entries;
    }

    public static uint Crc(ReadOnlySpan<byte> data) => SigstoreBuild.NuGet.Archives.Crc32.Append(0, data);

    private static byte[] NameBytes(TestZipEntry entry) => entry.RawName ?? Encoding.UTF8.GetBytes(entry.Name);

    private static byte[] Compress(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var deflate = new DeflateStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(data);
        }

        return buffer.ToArray();
    }

    private static void WriteU16(Stream s, ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        s.Write(b);
    }

    private static void WriteU32(Stream s, uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        s.Write(b);
    }
}
