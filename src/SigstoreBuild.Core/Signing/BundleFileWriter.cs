using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Signing;

/// <summary>
/// Atomic bundle writes (threat model F-10): a temp file in the target directory, flushed to disk, then renamed. A
/// failure leaves neither a partial bundle nor a temp file behind.
/// </summary>
internal static class BundleFileWriter
{
    public static string WriteTemp(string bundlePath, byte[] content)
    {
        var full = Path.GetFullPath(bundlePath);
        var dir = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough);
            stream.Write(content);
            stream.Flush(flushToDisk: true);
            return temp;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Discard(temp);
            throw Failed(bundlePath, ex);
        }
    }

    public static void Commit(string tempPath, string bundlePath)
    {
        try
        {
            File.Move(tempPath, Path.GetFullPath(bundlePath), overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Discard(tempPath);
            throw Failed(bundlePath, ex);
        }
    }

    public static void Discard(string tempPath)
    {
        try
        {
            File.Delete(tempPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort; the name marks it as a temp file.
        }
    }

    private static SigstoreException Failed(string bundlePath, Exception ex) =>
        new(SigningCodes.BundleWriteFailed, $"The bundle '{bundlePath}' could not be written ({ex.GetType().Name}: {ex.Message}). No bundle was left behind; free disk space or fix permissions and sign again.", ex);
}
