namespace SigstoreBuild.NuGet.Archives;

/// <summary>Caps applied while reading a package archive, so a hostile package cannot exhaust memory or time (N-05).</summary>
public sealed record ArchiveLimits
{
    public static ArchiveLimits Default { get; } = new();

    public long MaxArchiveBytes { get; init; } = 2L * 1024 * 1024 * 1024;
    public int MaxEntries { get; init; } = 32_768;
    public long MaxTotalUncompressedBytes { get; init; } = 8L * 1024 * 1024 * 1024;

    /// <summary>Largest uncompressed/compressed ratio accepted for entries above <see cref="RatioCheckThreshold"/>.</summary>
    public int MaxCompressionRatio { get; init; } = 1_000;

    public long RatioCheckThreshold { get; init; } = 1024 * 1024;
}
