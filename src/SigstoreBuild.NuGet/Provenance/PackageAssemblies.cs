using System.IO.Compression;
using System.Security.Cryptography;
using SigstoreBuild.Attestations;

namespace SigstoreBuild.NuGet.Provenance;

/// <summary>
/// Optional extra subjects: the assemblies inside a package, named <c>pkg:nuget/id@version#path/in/package.dll</c> (the
/// package URL with the entry as subpath) so they are never mistaken for the package subject itself.
/// </summary>
public static class PackageAssemblies
{
    private static readonly string[] Extensions = [".dll", ".exe", ".winmd"];

    /// <summary>Call only for a package that <see cref="PackageInspector"/> accepted (the archive rules are checked there).</summary>
    public static InTotoStatement AddTo(InTotoStatement statement, string packagePath, string packageSubjectName)
    {
        ArgumentNullException.ThrowIfNull(statement);
        using var archive = ZipFile.OpenRead(packagePath);
        var extra = new List<InTotoSubject>();
        foreach (var entry in archive.Entries)
        {
            if (!Extensions.Any(e => entry.FullName.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            using var stream = entry.Open();
            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
            var buffer = new byte[81920];
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                sha256.AppendData(buffer, 0, read);
                sha512.AppendData(buffer, 0, read);
            }

            var path = string.Join('/', entry.FullName.Split('/').Select(Uri.EscapeDataString));
            extra.Add(new InTotoSubject($"{packageSubjectName}#{path}", new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["sha256"] = Convert.ToHexStringLower(sha256.GetHashAndReset()),
                ["sha512"] = Convert.ToHexStringLower(sha512.GetHashAndReset()),
            }));
        }

        extra.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return extra.Count == 0 ? statement : statement.WithSubjects([.. statement.Subjects, .. extra]);
    }
}
