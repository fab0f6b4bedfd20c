namespace SigstoreBuild.NuGet.Archives;

/// <summary>One archive entry whose central directory record and local file header were checked to agree.</summary>
internal sealed class ZipEntryRecord
{
    public required string Name { get; init; }
    public required byte[] RawName { get; init; }
    public required ushort VersionMadeBy { get; init; }
    public required ushort Flags { get; init; }
    public required ushort CompressionMethod { get; init; }
    public required uint Crc32 { get; init; }
    public required long CompressedSize { get; init; }
    public required long UncompressedSize { get; init; }
    public required uint ExternalAttributes { get; init; }
    public required int CentralExtraLength { get; init; }
    public required long LocalHeaderOffset { get; init; }
    public long DataOffset { get; set; }
    public int LocalExtraLength { get; set; }

    public bool IsDirectory => Name.EndsWith('/');

    public bool HasDataDescriptor => (Flags & ZipConstants.FlagDataDescriptor) != 0;
}

internal static class ZipConstants
{
    public const uint LocalFileHeaderSignature = 0x04034b50;
    public const uint CentralDirectorySignature = 0x02014b50;
    public const uint EndOfCentralDirectorySignature = 0x06054b50;
    public const uint Zip64EndOfCentralDirectorySignature = 0x06064b50;
    public const uint Zip64LocatorSignature = 0x07064b50;
    public const uint DataDescriptorSignature = 0x08074b50;

    public const ushort FlagEncrypted = 0x0001;
    public const ushort FlagDataDescriptor = 0x0008;
    public const ushort FlagStrongEncryption = 0x0040;
    public const ushort FlagUtf8 = 0x0800;
    public const ushort FlagMaskedHeader = 0x2000;

    public const ushort MethodStored = 0;
    public const ushort MethodDeflate = 8;

    public const int EndOfCentralDirectorySize = 22;
    public const int CentralDirectoryHeaderSize = 46;
    public const int LocalFileHeaderSize = 30;
    public const ushort Zip64ExtraFieldTag = 0x0001;
}
